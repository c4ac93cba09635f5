"""Okta's group push: POST with members, PUT with the full member list, PATCH, import.

Okta sends no `type` on members (only `value` and `display`), a path-less replace with
`id` for renames, and `members[value eq "…"]` removes.
"""

GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def okta_members(*users):
    return [{"value": u["id"], "display": u["userName"]} for u in users]


def values(body):
    return sorted(m["value"] for m in body.get("members", []))


def test_okta_group_push(scim, make_user):
    alice, bob, carol = (make_user(f"{n}@okta.local") for n in ("alice", "bob", "carol"))

    lookup = scim.get('Groups?filter=displayName eq "Test SCIMv2"&startIndex=1&count=100')
    assert lookup.status_code == 200 and lookup.get_json()["totalResults"] == 0

    created = scim.post("Groups", {"schemas": [GROUP], "displayName": "Test SCIMv2",
                                   "members": okta_members(alice, bob)})
    assert created.status_code == 201
    group = created.get_json()
    assert values(group) == sorted([alice["id"], bob["id"]])
    assert {m["type"] for m in group["members"]} == {"User"}

    # PUT with the whole membership: bob stays, alice leaves, carol joins.
    put = scim.put(f"Groups/{group['id']}", {"schemas": [GROUP], "id": group["id"],
                                             "displayName": "Test SCIMv2",
                                             "members": okta_members(bob, carol)})
    assert put.status_code == 200
    assert values(put.get_json()) == sorted([bob["id"], carol["id"]])

    rename = {"schemas": [PATCH_OP], "Operations": [
        {"op": "replace", "value": {"id": group["id"], "displayName": "Test SCIMv2 renamed"}}]}
    assert scim.patch(f"Groups/{group['id']}", rename).status_code == 204
    add = {"schemas": [PATCH_OP], "Operations": [
        {"op": "add", "path": "members", "value": okta_members(alice)}]}
    assert scim.patch(f"Groups/{group['id']}", add).status_code == 204
    remove = {"schemas": [PATCH_OP], "Operations": [
        {"op": "remove", "path": f'members[value eq "{bob["id"]}"]'}]}
    assert scim.patch(f"Groups/{group['id']}", remove).status_code == 204

    current = scim.get(f"Groups/{group['id']}").get_json()
    assert current["displayName"] == "Test SCIMv2 renamed"
    assert values(current) == sorted([alice["id"], carol["id"]])

    imported = scim.get("Groups?startIndex=1&count=100").get_json()
    assert imported["totalResults"] == 1
    assert values(imported["Resources"][0]) == values(current)

    assert scim.delete(f"Groups/{group['id']}").status_code == 204
    assert scim.get(f"Groups/{group['id']}").status_code == 404
    assert scim.get(f"Users/{alice['id']}").status_code == 200


def test_okta_create_with_empty_members(scim):
    created = scim.post("Groups", {"schemas": [GROUP], "displayName": "Empty", "members": []})
    assert created.status_code == 201
    assert "members" not in created.get_json()
