"""Limits on hostile input: each answers a clear SCIM error and changes nothing."""

import json

import pytest

from tests.hardening.support import patch_body
from tests.hardening.support import table_rows
from tests.hardening.support import user_body

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
DATA_TABLES = ("users", "user_values", "groups", "group_members", "change_records")


@pytest.fixture
def app_config():
    return {"SCIM_MAX_RESULTS": 3}


SMALL_PAYLOAD = pytest.mark.parametrize("app_config", [{"SCIM_MAX_PAYLOAD": 4000}])


@pytest.fixture
def unchanged(app):
    """Assert at the end of the test that no resource or change record was written."""
    before = {k: v for k, v in table_rows().items() if k in DATA_TABLES}
    yield
    assert {k: v for k, v in table_rows().items() if k in DATA_TABLES} == before


def scim_error(response, status, scim_type=None):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/scim+json"
    body = response.get_json()
    assert body["schemas"] == [ERROR] and body["status"] == str(status)
    assert body.get("scimType") == scim_type
    return body


@pytest.fixture
def alice(scim):
    return scim.post("Users", user_body("alice@example.com")).get_json()


@SMALL_PAYLOAD
def test_a_body_over_max_payload_is_413_on_every_write(scim, alice, unchanged):
    big = "x" * 4000
    body = scim_error(scim.post("Users", user_body("big", title=big)), 413)
    assert "maxPayloadSize (4000 bytes)" in body["detail"]
    scim_error(scim.put(f"Users/{alice['id']}", user_body("alice@example.com", title=big)), 413)
    op = {"op": "replace", "path": "title", "value": big}
    scim_error(scim.patch(f"Users/{alice['id']}", patch_body(op)), 413)
    scim_error(scim.post("Groups", {"displayName": big}), 413)


@SMALL_PAYLOAD
def test_bulk_shares_the_advertised_max_payload_size(scim, unchanged):
    config = scim.get("ServiceProviderConfig").get_json()
    assert config["bulk"]["maxPayloadSize"] == 4000
    ops = [{"method": "POST", "path": "/Users", "bulkId": str(i),
            "data": user_body(f"user{i}@example.com")} for i in range(40)]
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": ops}
    assert len(json.dumps(body)) > 4000
    scim_error(scim.post("Bulk", body), 413)


def test_deep_json_nesting_is_invalid_syntax(scim, unchanged):
    body = user_body("deep")
    cursor = body
    for _ in range(100):
        cursor["x"] = {}
        cursor = cursor["x"]
    scim_error(scim.post("Users", body), 400, "invalidSyntax")
    raw = '{"userName": "deep", "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    scim_error(scim.post("Users", data=raw), 400, "invalidSyntax")  # no RecursionError 500


def test_nesting_limit_is_exact(scim):
    """32 levels pass, 33 fail, also in a wide body (where the raw-text prefilter walks)."""
    wide = [{"value": "x"}] * 40

    def nested(levels):
        value = "leaf"
        for _ in range(levels):
            value = [value]
        return value

    # The body is level 1, "x" 2, the list's items 3: `nested(k)` reaches 3 + k.
    ok = scim.post("Users", {**user_body("deep-32"), "x": [wide, nested(29)]})
    assert ok.status_code == 201, ok.get_json()
    deep = scim.post("Users", {**user_body("deep-33"), "x": [wide, nested(30)]})
    scim_error(deep, 400, "invalidSyntax")
    assert "deeper than 32" in deep.get_json()["detail"]


def test_long_and_deep_filters_are_invalid_filters(scim):
    long = 'userName eq "' + "a" * 5000 + '"'
    scim_error(scim.get("Users", query_string={"filter": long}), 400, "invalidFilter")
    deep = "(" * 40 + 'userName eq "a"' + ")" * 40
    scim_error(scim.get("Users", query_string={"filter": deep}), 400, "invalidFilter")
    scim_error(scim.post("Users/.search", {"filter": deep}), 400, "invalidFilter")
    deep_paths = "emails[" * 40 + 'value eq "a"' + "]" * 40
    scim_error(scim.get("Groups", query_string={"filter": deep_paths}), 400, "invalidFilter")


def test_count_is_capped_at_the_advertised_maximum(scim):
    for i in range(5):
        scim.post("Users", user_body(f"u{i}@example.com"))
    assert scim.get("ServiceProviderConfig").get_json()["filter"]["maxResults"] == 3
    for count in ("100", "99999999999999999999999"):
        page = scim.get("Users", query_string={"count": count}).get_json()
        assert (page["totalResults"], page["itemsPerPage"], len(page["Resources"])) == (5, 3, 3)
    scim_error(scim.get("Users", query_string={"count": "lots"}), 400, "invalidValue")


@pytest.mark.parametrize("start", ["2147483648", "99999999999999999999999999", "-5", "0"])
def test_any_start_index_is_a_page_not_a_500(scim, alice, start):
    response = scim.get("Users", query_string={"startIndex": start})
    assert response.status_code == 200
    page = response.get_json()
    assert page["startIndex"] >= 1 and page["totalResults"] == 1


def test_attribute_names_and_values_have_lengths(scim, alice, unchanged):
    scim_error(scim.post("Users", {**user_body("n@example.com"), "x" * 300: "v"}), 400,
               "invalidValue")
    scim_error(scim.post("Users", user_body("v@example.com", title="t" * 5000)), 400,
               "invalidValue")
    # Indexed columns hold 512 characters: PostgreSQL failed the flush with a 500 here.
    body = scim_error(scim.post("Users", user_body("u" * 600)), 400, "invalidValue")
    assert "userName" in body["detail"]
    op = {"op": "add", "path": "emails", "value": [{"value": "x@y", "type": "t" * 200}]}
    scim_error(scim.patch(f"Users/{alice['id']}", patch_body(op)), 400, "invalidValue")
    scim_error(scim.post("Groups", {"displayName": "g" * 600}), 400, "invalidValue")


@pytest.mark.parametrize("raw", [
    '{"userName": "nul\\u0000byte"}',
    '{"userName": "lone \\ud800 surrogate"}',
    '{"userName": "ok", "name": {"giv\\u0000enName": "x"}}',
])
def test_text_no_database_can_store_is_invalid_value(scim, raw, unchanged):
    scim_error(scim.post("Users", data=raw), 400, "invalidValue")
    # JSON may come in UTF-16 or UTF-32 (RFC 8259 §8.1 readers detect it): the same check.
    for encoding in ("utf-16", "utf-32-le"):
        scim_error(scim.post("Users", data=raw.encode(encoding)), 400, "invalidValue")


def test_nul_in_an_id_or_parameter_is_no_500(scim, alice):
    scim_error(scim.get("Users/abc%00def"), 404)
    # An attribute name is in attribute notation (RFC 7644 §3.10) or refused; an unknown
    # parameter is ignored.
    attributes = scim.get("Users", query_string={"attributes": "user\x00Name"})
    scim_error(attributes, 400, "invalidValue")
    response = scim.get("Users", query_string={"x\x00": "y"})
    assert response.status_code == 200
