"""Every group PATCH shape of Entra (Microsoft's SCIM tutorial) and RFC 7644 §3.5.2, over HTTP.

Each case runs on a fresh group "Team" whose members are users a and b; users c and d
and the group "Other" exist and are not members. Cases loop inside a few tests rather
than being parametrized: a fresh database per case would cost more than the cases.
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
    return ids


@pytest.fixture
def each(scim, world):
    """Yield (case name, ids with a fresh "team") for each case; the team is deleted after."""

    def run(cases):
        for name, case in cases.items():
            team = scim.post("Groups", {"displayName": "Team", "externalId": "t-1", "members": [
                {"value": world["a"]}, {"value": world["b"]}]}).get_json()
            yield name, {**world, "team": team["id"]}, *case
            assert scim.delete(f"Groups/{team['id']}").status_code == 204

    return run


def fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    return value


def patch(scim, ids, body, status, name):
    response = scim.patch(f"Groups/{ids['team']}", fill(body, ids))
    assert response.status_code == status, (name, response.get_json())
    return response


def state(scim, ids):
    body = scim.get(f"Groups/{ids['team']}").get_json()
    names = {v: k for k, v in ids.items()}
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


def test_member_shapes(scim, each):
    for name, ids, operations, expected in each(MEMBER_CASES):
        patch(scim, ids, ops(*operations), 204, name)
        assert state(scim, ids)[0] == expected, name


NO_OP_CASES = {
    "re-add": ({"op": "add", "path": "members", "value": [{"value": "{a}"}]},),
    "remove absent by filter": ({"op": "remove", "path": 'members[value eq "{c}"]'},),
    "legacy remove absent": ({"op": "Remove", "path": "members", "value": [{"value": "{d}"}]},),
    "remove unknown id": ({"op": "remove", "path": 'members[value eq "no-such-id"]'},),
}


def test_no_op_changes_nothing(scim, each):
    for name, ids, operation in each(NO_OP_CASES):
        patch(scim, ids, ops(operation), 204, name)
        members, body = state(scim, ids)
        assert (members, body["meta"]["version"]) == (["a", "b"], 'W/"1"'), name


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


def test_attribute_shapes_keep_members(scim, each):
    for name, ids, operation, expected in each(ATTRIBUTE_CASES):
        patch(scim, ids, ops(operation), 204, name)
        members, body = state(scim, ids)
        assert {k: body[k] for k in ("displayName", "externalId") if k in body} == expected, name
        assert (members, body["meta"]["version"]) == (["a", "b"], 'W/"2"'), name


def test_rename_and_members_in_one_request(scim, each):
    for name, ids in each({"both": ()}):
        patch(scim, ids, ops({"op": "replace", "value": {"displayName": "Both",
                                                         "members": [{"value": "{c}"}]}},
                             {"op": "add", "path": "members", "value": [{"value": "{d}"}]}),
              204, name)
        members, body = state(scim, ids)
        assert body["displayName"] == "Both" and members == ["c", "d"]
        assert body["meta"]["version"] == 'W/"2"'


BAD_CASES = {
    "add on filter": ({"op": "add", "path": 'members[value eq "{a}"]', "value": {"value": "{a}"}},
                      "invalidPath"),
    "sub-attribute": ({"op": "replace", "path": "members.value", "value": "{c}"}, "invalidPath"),
    "unknown filter attribute": ({"op": "remove", "path": 'members[nickName eq "x"]'},
                                 "invalidPath"),
    "required displayName": ({"op": "remove", "path": "displayName"}, "mutability"),
    "member without value": (
        {"op": "add", "path": "members", "value": [{"display": "no id"}, {"type": "User"}]},
        "invalidValue"),
    "non-string id": ({"op": "add", "path": "members", "value": [{"value": 42}]}, "invalidValue"),
    "replace with a ghost": (
        {"op": "replace", "path": "members", "value": [{"value": "{a}"}, {"value": "ghost"}]},
        "invalidValue"),
}


def test_bad_operations_change_nothing(scim, each):
    for name, ids, operation, scim_type in each(BAD_CASES):
        response = patch(scim, ids, ops(operation), 400, name)
        assert response.get_json()["scimType"] == scim_type, name
        members, body = state(scim, ids)
        assert (members, body["meta"]["version"]) == (["a", "b"], 'W/"1"'), name
