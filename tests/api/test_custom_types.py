"""Typed custom fields that hold (issue 12, item 8): writes, filters and sorts, over HTTP.

Each runs on SQLite and on PostgreSQL (TEST_DATABASE_URL): on PostgreSQL the integer
filter and any dateTime filter used to answer 500.
"""

from urllib.parse import quote

import pytest

from tests.conftest import user_body

URN = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"
FIELDS = [("clearance", "integer", False), ("weight", "decimal", False),
          ("hiredAt", "dateTime", False), ("badges", "integer", True),
          ("shifts", "dateTime", True), ("ratings", "decimal", True), ("remote", "boolean", False)]


@pytest.fixture
def fields(runner):
    for name, kind, multi in FIELDS:
        args = ["custom-fields", "create", name, "--type", kind]
        result = runner.invoke(args=args + (["--multi-valued"] if multi else []))
        assert result.exit_code == 0, result.output


@pytest.fixture
def people(scim, fields):
    """Three users; hiredAt values are given in different offsets."""
    values = {
        "Øyvind": {"clearance": 3000000000, "weight": "1.5", "hiredAt": "2021-06-02T01:00:00+02:00",
                   "badges": [5, 10], "shifts": ["2021-06-02T01:00:00+02:00"],
                   "ratings": ["2.25", 4], "remote": True},
        "İlker": {"clearance": 7, "weight": 0.75, "hiredAt": "2021-06-01T22:30:00Z",
                  "badges": [9], "shifts": ["2021-06-01T21:00:00Z"], "ratings": [1],
                  "remote": False},
        "Åse": {"clearance": -(2**63), "weight": "-2e1", "hiredAt": "2021-06-01T20:00:00-05:00"},
    }
    for name, custom in values.items():
        response = scim.post("Users", user_body(f"{name}@ex.no", **{URN: custom}))
        assert response.status_code == 201, response.get_json()
    return values


def names(scim, text, **params):
    query = "&".join([f"filter={quote(text)}" if text else "",
                      *(f"{k}={v}" for k, v in params.items())])
    response = scim.get(f"Users?{query}")
    assert response.status_code == 200, response.get_json()
    return [r["userName"].split("@")[0] for r in response.get_json()["Resources"]]


def test_values_are_stored_typed_and_in_utc(scim, people):
    body = scim.get("Users?filter=" + quote('userName eq "Øyvind@ex.no"')).get_json()
    custom = body["Resources"][0][URN]
    assert custom["clearance"] == 3000000000
    assert custom["weight"] == 1.5
    assert custom["hiredAt"] == "2021-06-01T23:00:00Z"
    assert custom["shifts"] == ["2021-06-01T23:00:00Z"]
    assert custom["ratings"] == [2.25, 4]


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 10**40])
def test_an_integer_beyond_64_bits_is_refused(scim, fields, value):
    response = scim.post("Users", user_body("Ørjan@x.no", **{URN: {"clearance": value}}))
    assert response.status_code == 400
    assert response.get_json()["scimType"] == "invalidValue"
    assert "64 bits" in response.get_json()["detail"]


@pytest.mark.parametrize("value", ["1,5", "NaN", "Infinity", "1e999", "one"])
def test_a_decimal_that_is_no_number_is_refused(scim, fields, value):
    response = scim.post("Users", user_body("Ørjan@x.no", **{URN: {"weight": value}}))
    assert response.status_code == 400


def test_a_decimal_as_entra_sends_it_in_a_patch(scim, fields):
    user = scim.post("Users", user_body("Ørjan@x.no")).get_json()
    response = scim.patch(f"Users/{user['id']}", {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Add", "path": f"{URN}:weight", "value": "1.5"}]})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()[URN]["weight"] == 1.5


@pytest.mark.parametrize("text, expected", [
    (f"{URN}:clearance gt 2147483647", ["Øyvind"]),
    (f"{URN}:clearance lt 0", ["Åse"]),
    (f"{URN}:clearance eq 3000000000", ["Øyvind"]),
    (f"{URN}:clearance ge -9223372036854775808", ["Øyvind", "İlker", "Åse"]),
    (f"{URN}:weight gt 1.2", ["Øyvind"]),
    (f"{URN}:weight lt 0", ["Åse"]),
    (f"{URN}:weight eq 0.75", ["İlker"]),
    # 01:00 at +02:00 is 23:00Z: not after 23:00Z, whatever the text says.
    (f'{URN}:hiredAt gt "2021-06-01T23:00:00Z"', ["Åse"]),
    (f'{URN}:hiredAt eq "2021-06-01T23:00:00Z"', ["Øyvind"]),
    (f'{URN}:hiredAt ge "2021-06-02T01:00:00+02:00"', ["Øyvind", "Åse"]),
    (f'{URN}:hiredAt lt "2021-06-02T00:45:00+02:00"', ["İlker"]),
    (f'{URN}:hiredAt gt "2021-06-01T23:00:00"', ["Åse"]),  # no offset: UTC
    (f"{URN}:badges gt 9", ["Øyvind"]),                    # 10 > 9 as numbers, not text
    (f"{URN}:badges eq 9", ["İlker"]),
    (f"{URN}:ratings gt 2", ["Øyvind"]),
    (f'{URN}:shifts lt "2021-06-01T22:00:00Z"', ["İlker"]),
    (f'{URN}:shifts eq "2021-06-02T01:00:00+02:00"', ["Øyvind"]),
    (f"{URN}:remote eq true", ["Øyvind"]),
    (f"{URN}:remote eq false", ["İlker"]),
    (f"{URN}:hiredAt pr and {URN}:badges pr", ["Øyvind", "İlker"]),
])
def test_filters_compare_by_type(scim, people, text, expected):
    assert sorted(names(scim, text)) == sorted(expected)


@pytest.mark.parametrize("attribute, ascending", [
    ("clearance", ["Åse", "İlker", "Øyvind"]),
    ("weight", ["Åse", "İlker", "Øyvind"]),
    # 22:30Z, 23:00Z (01:00+02:00), 01:00Z next day (20:00-05:00)
    ("hiredAt", ["İlker", "Øyvind", "Åse"]),
])
def test_sorts_order_by_type(scim, people, attribute, ascending):
    assert names(scim, "", sortBy=f"{URN}:{attribute}") == ascending
    assert names(scim, "", sortBy=f"{URN}:{attribute}", sortOrder="descending") == \
        ascending[::-1]


@pytest.mark.parametrize("text", [
    f"{URN}:clearance gt 9223372036854775808",
    f"{URN}:clearance lt -99999999999999999999",
    f'{URN}:hiredAt gt "yesterday"',
    f'{URN}:clearance gt "3"',
])
def test_a_filter_literal_the_type_cannot_hold_is_invalid_filter(scim, people, text):
    response = scim.get(f"Users?filter={quote(text)}")
    assert response.status_code == 400
    assert response.get_json()["scimType"] == "invalidFilter"
