"""Every group PATCH shape of entra-scim.md §10 and RFC 7644 §3.5.2, over HTTP.

Each case starts from a group "Team" whose members are users a and b; users c and d
and the group "Other" exist and are not members.
"""

import pytest

GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def ops(*operations):
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


@pytest.fixture
def world(scim, make_user):
    ids = {name: make_user(f"{name}@example.com")["id"] for name in "abcd"}
    ids["other"] = scim.post("Groups", {"displayName": "Other"}).get_json()["id"]
    team = scim.post("Groups", {"displayName": "Team", "externalId": "t-1", "members": [
        {"value": ids["a"]}, {"value": ids["b"]}]}).get_json()
    ids["team"] = team["id"]
    return ids


def patch(scim, world, body, status=204):
    def fill(value):
        if isinstance(value, str):
            return value.format(**world)
        if isinstance(value, list):
            return [fill(v) for v in value]
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        return value

    response = scim.patch(f"Groups/{world['team']}", fill(body))
    assert response.status_code == status, response.get_json()
    return response


def state(scim, world):
    body = scim.get(f"Groups/{world['team']}").get_json()
    names = {v: k for k, v in world.items()}
    return sorted(names[m["value"]] for m in body.get("members", [])), body


MEMBER_CASES = {
    "entra add one, $ref null": (
        [{"op": "Add", "path": "members", "value": [{"$ref": None, "value": "{c}"}]}],
        ["a", "b", "c"]),
    "add many in one op": (
        [{"op": "add", "path": "members", "value": [{"value": "{c}"}, {"value": "{d}"}]}],
        ["a", "b", "c", "d"]),
    "add in several ops": (
        [{"op": "Add", "path": "members", "value": [{"value": "{c}"}]},
         {"op": "Add", "path": "members", "value": [{"value": "{d}"}]}],
        ["a", "b", "c", "d"]),
    "okta add with display": (
        [{"op": "add", "path": "members", "value": [{"value": "{c}", "display": "c@example.com"}]}],
        ["a", "b", "c"]),
    "bare string value": (
        [{"op": "add", "path": "members", "value": "{c}"}], ["a", "b", "c"]),
    "nested group without type": (
        [{"op": "add", "path": "members", "value": [{"value": "{other}"}]}],
        ["a", "b", "other"]),
    "nested group typed": (
        [{"op": "add", "path": "members", "value": [{"value": "{other}", "type": "Group"}]}],
        ["a", "b", "other"]),
    "path with the core URN": (
        [{"op": "add", "path": f"{GROUP}:members", "value": [{"value": "{c}"}]}],
        ["a", "b", "c"]),
    "path-less add of members": (
        [{"op": "add", "value": {"members": [{"value": "{c}"}]}}], ["a", "b", "c"]),
    "flag remove by filter": (
        [{"op": "remove", "path": 'members[value eq "{a}"]'}], ["b"]),
    "remove by or-filter": (
        [{"op": "remove", "path": 'members[value eq "{a}" or value eq "{b}"]'}], []),
    "remove by type filter": (
        [{"op": "add", "path": "members", "value": [{"value": "{other}"}]},
         {"op": "remove", "path": 'members[type eq "Group"]'}], ["a", "b"]),
    "legacy remove with a value list": (
        [{"op": "Remove", "path": "members", "value": [{"$ref": None, "value": "{a}"}]}], ["b"]),
    "legacy remove without $ref": (
        [{"op": "Remove", "path": "members", "value": [{"value": "{b}"}]}], ["a"]),
    "remove with an empty list removes nothing": (
        [{"op": "remove", "path": "members", "value": []}], ["a", "b"]),
    "remove members without value removes all": (
        [{"op": "remove", "path": "members"}], []),
    "replace members sets them exactly": (
        [{"op": "replace", "path": "members", "value": [{"value": "{b}"}, {"value": "{c}"}]}],
        ["b", "c"]),
    "replace members with nothing": (
        [{"op": "replace", "path": "members", "value": []}], []),
    "path-less replace with members": (
        [{"op": "replace", "value": {"members": [{"value": "{d}"}]}}], ["d"]),
    "remove then add back": (
        [{"op": "remove", "path": 'members[value eq "{a}"]'},
         {"op": "add", "path": "members", "value": [{"value": "{a}"}]}], ["a", "b"]),
}


@pytest.mark.parametrize("operations, expected", MEMBER_CASES.values(), ids=MEMBER_CASES.keys())
def test_member_shapes(scim, world, operations, expected):
    patch(scim, world, ops(*operations))
    assert state(scim, world)[0] == expected


@pytest.mark.parametrize("operation", [
    {"op": "add", "path": "members", "value": [{"value": "{a}"}]},
    {"op": "remove", "path": 'members[value eq "{c}"]'},
    {"op": "Remove", "path": "members", "value": [{"value": "{d}"}]},
    {"op": "remove", "path": 'members[value eq "no-such-id"]'},
], ids=["re-add", "remove absent by filter", "legacy remove absent", "remove unknown id"])
def test_no_op_changes_nothing(scim, world, operation):
    patch(scim, world, ops(operation))
    members, body = state(scim, world)
    assert members == ["a", "b"] and body["meta"]["version"] == 'W/"1"'


ATTRIBUTE_CASES = {
    "entra rename": ({"op": "Replace", "path": "displayName", "value": "Renamed"},
                     {"displayName": "Renamed", "externalId": "t-1"}),
    "externalId": ({"op": "replace", "path": "externalId", "value": "t-2"},
                   {"displayName": "Team", "externalId": "t-2"}),
    "remove externalId": ({"op": "remove", "path": "externalId"}, {"displayName": "Team"}),
    "path-less replace": ({"op": "replace", "value": {"displayName": "Renamed"}},
                          {"displayName": "Renamed", "externalId": "t-1"}),
    "okta path-less replace with id": (
        {"op": "replace", "value": {"id": "{team}", "displayName": "Renamed"}},
        {"displayName": "Renamed", "externalId": "t-1"}),
}


@pytest.mark.parametrize("operation, expected", ATTRIBUTE_CASES.values(),
                         ids=ATTRIBUTE_CASES.keys())
def test_attribute_shapes_keep_members(scim, world, operation, expected):
    patch(scim, world, ops(operation))
    members, body = state(scim, world)
    assert {k: body[k] for k in ("displayName", "externalId") if k in body} == expected
    assert members == ["a", "b"] and body["meta"]["version"] == 'W/"2"'


def test_rename_and_members_in_one_request(scim, world):
    patch(scim, world, ops({"op": "replace", "value": {"displayName": "Both",
                                                       "members": [{"value": "{c}"}]}},
                           {"op": "add", "path": "members", "value": [{"value": "{d}"}]}))
    members, body = state(scim, world)
    assert body["displayName"] == "Both" and members == ["c", "d"]
    assert body["meta"]["version"] == 'W/"2"'


@pytest.mark.parametrize("operation, scim_type", [
    ({"op": "add", "path": 'members[value eq "{a}"]', "value": {"value": "{a}"}}, "invalidPath"),
    ({"op": "replace", "path": "members.value", "value": "{c}"}, "invalidPath"),
    ({"op": "remove", "path": 'members[nickName eq "x"]'}, "invalidPath"),
    ({"op": "remove", "path": "displayName"}, "mutability"),
    ({"op": "add", "path": "members", "value": [{"display": "no id"}, {"type": "User"}]},
     "invalidValue"),
    ({"op": "add", "path": "members", "value": [{"value": 42}]}, "invalidValue"),
    ({"op": "replace", "path": "members", "value": [{"value": "{a}"}, {"value": "ghost"}]},
     "invalidValue"),
], ids=["add on filter", "sub-attribute", "unknown filter attribute", "required displayName",
        "member without value", "non-string id", "replace with a ghost"])
def test_bad_operations_change_nothing(scim, world, operation, scim_type):
    response = patch(scim, world, ops(operation), status=400)
    assert response.get_json()["scimType"] == scim_type
    members, body = state(scim, world)
    assert members == ["a", "b"] and body["meta"]["version"] == 'W/"1"'
