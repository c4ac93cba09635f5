"""/Groups over HTTP: Entra's whole group flow, filters, members, conflicts and discovery.

Request shapes come from Microsoft's "Tutorial: Develop and plan provisioning for a SCIM
endpoint in Microsoft Entra ID" (group operations).
"""

import uuid

import pytest
from sqlalchemy import select

from models import ChangeRecord
from models import db
from services import settings
from services import tx

GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ADSCIM = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


def ops(*operations):
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def member_ids(scim, group_id):
    return sorted(m["value"] for m in scim.get(f"Groups/{group_id}").get_json().get("members", []))


def changes(action):
    db.session.rollback()
    stmt = select(ChangeRecord.changes).where(ChangeRecord.action == action)
    return list(db.session.execute(stmt.order_by(ChangeRecord.id)).scalars())


@pytest.fixture
def make_group(scim):
    def make(name, members=(), **extra):
        body = {"schemas": [GROUP], "displayName": name,
                "members": [{"value": m} for m in members], **extra}
        response = scim.post("Groups", body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return make


def test_entra_group_flow(scim, make_user):
    """Test connection, create, match, add, both removes, rename, delete.

    The sequence of Microsoft's SCIM tutorial for Entra ID (group operations).
    """
    guid = str(uuid.uuid4())
    probe = scim.get(f"Groups?excludedAttributes=members&filter=displayName+eq+%22{guid}%22")
    assert probe.status_code == 200
    assert probe.get_json() == {"schemas": [LIST], "totalResults": 0, "startIndex": 1,
                                "itemsPerPage": 0, "Resources": []}

    created = scim.post("Groups", {"schemas": [GROUP, ADSCIM], "externalId": "8aa1a0c0-c4c3-4bc0",
                                   "displayName": "Sales Team", "meta": {"resourceType": "Group"}})
    assert created.status_code == 201
    group = created.get_json()
    assert created.headers["Location"] == group["meta"]["location"]
    assert group["schemas"] == [GROUP] and "members" not in group
    gid = group["id"]

    match = scim.get("Groups?excludedAttributes=members&filter=displayName+eq+%22Sales+Team%22")
    assert [r["id"] for r in match.get_json()["Resources"]] == [gid]
    assert "members" not in match.get_json()["Resources"][0]
    assert "members" not in scim.get(f"Groups/{gid}?excludedAttributes=members").get_json()

    alice, bob, carol = (make_user(f"{n}@contoso.com")["id"] for n in ("alice", "bob", "carol"))
    add = ops({"op": "Add", "path": "members",
               "value": [{"$ref": None, "value": alice}, {"$ref": None, "value": bob},
                         {"$ref": None, "value": carol}]})
    assert scim.patch(f"Groups/{gid}", add).status_code == 204
    assert member_ids(scim, gid) == sorted([alice, bob, carol])

    legacy = ops({"op": "Remove", "path": "members", "value": [{"$ref": None, "value": alice}]})
    assert scim.patch(f"Groups/{gid}", legacy).status_code == 204
    assert member_ids(scim, gid) == sorted([bob, carol])  # only alice, never everyone
    flagged = ops({"op": "remove", "path": f'members[value eq "{bob}"]'})
    assert scim.patch(f"Groups/{gid}", flagged).status_code == 204
    assert member_ids(scim, gid) == [carol]

    rename = ops({"op": "Replace", "path": "displayName", "value": "Sales EMEA"})
    assert scim.patch(f"Groups/{gid}", rename).status_code == 204
    assert scim.get(f"Groups/{gid}").get_json()["displayName"] == "Sales EMEA"

    assert scim.delete(f"Groups/{gid}").status_code == 204
    assert scim.get(f"Groups/{gid}").status_code == 404
    assert scim.get(f"Users/{carol}").status_code == 200  # deleting a group leaves its users


def test_change_records_name_only_the_members_changed(scim, make_user, make_group):
    ids = [make_user(f"u{i}@example.com")["id"] for i in range(4)]
    gid = make_group("Audited", ids[:3])["id"]
    scim.patch(f"Groups/{gid}", ops({"op": "add", "path": "members", "value": [{"value": ids[3]}]}))
    scim.patch(f"Groups/{gid}", ops({"op": "remove", "path": f'members[value eq "{ids[0]}"]'}))

    created, added, removed = changes("group.create")[0], *changes("group.patch")
    assert created["members.added"] == [None, ids[:3]]
    assert added == {"members.added": [None, [ids[3]]]}
    assert removed == {"members.removed": [[ids[0]], None]}


def test_an_add_of_members_already_there_and_new_ones_records_the_new_ones(scim, make_user,
                                                                          make_group):
    """One INSERT for the batch (unnest of arrays on PostgreSQL): duplicates, a nested group,
    a display, in one add; the change record and the ETag as before."""
    ids = [make_user(f"{n}@example.com")["id"] for n in ("øyvind", "émile", "ıṡık", "straße")]
    inner = make_group("Ｉｎｎｅｒ")["id"]
    gid = make_group("Größe", ids[:2])["id"]
    etag = scim.get(f"Groups/{gid}").headers["ETag"]
    value = [{"value": ids[1]}, {"value": ids[2], "display": "Işık"}, {"value": inner},
             {"value": ids[0]}, {"value": ids[3]}, {"value": ids[2]}]
    assert scim.patch(f"Groups/{gid}", ops({"op": "add", "path": "members",
                                             "value": value})).status_code == 204

    # Users, then groups, each in request order.
    assert changes("group.patch") == [{"members.added": [None, [ids[2], ids[3], inner]]}]
    assert scim.get(f"Groups/{gid}").headers["ETag"] != etag
    shown = {m["value"]: m for m in scim.get(f"Groups/{gid}").get_json()["members"]}
    assert sorted(shown) == sorted([*ids, inner])
    assert shown[ids[2]]["display"] == "Işık" and shown[inner]["type"] == "Group"
    assert "display" not in shown[ids[0]]


def test_create_with_members_shows_them_whole(scim, make_user, make_group):
    user = make_user("dana@example.com", displayName="Dana Scully")
    response = scim.post("Groups", {"displayName": "X-Files", "members": [{"value": user["id"]}]})
    assert response.status_code == 201
    assert response.headers["ETag"] == 'W/"1"'
    assert response.get_json()["members"] == [{
        "value": user["id"], "$ref": f"http://localhost/scim/v2/Users/{user['id']}",
        "type": "User"}]  # no display: the client sent none (RFC 7643 §4.2)


def test_display_name_is_unique_case_insensitively(scim, make_group):
    make_group("Finance")
    other = make_group("Legal")["id"]
    duplicate = scim.post("Groups", {"displayName": "FINANCE"})
    assert duplicate.status_code == 409
    assert duplicate.get_json()["scimType"] == "uniqueness"
    rename = ops({"op": "replace", "path": "displayName", "value": "finance"})
    assert scim.patch(f"Groups/{other}", rename).status_code == 409
    assert scim.put(f"Groups/{other}", {"displayName": "Finance"}).status_code == 409
    # Its own name in another case is no conflict.
    assert scim.patch(f"Groups/{other}", ops(
        {"op": "replace", "path": "displayName", "value": "LEGAL"})).status_code == 204


def test_unknown_member_id_is_rejected_and_nothing_changes(scim, make_user, make_group):
    alice = make_user("alice@example.com")["id"]
    response = scim.post("Groups", {"displayName": "Ghosts", "members": [{"value": "nobody-1"}]})
    assert response.status_code == 400
    assert response.get_json()["scimType"] == "invalidValue"
    assert "nobody-1" in response.get_json()["detail"]
    assert scim.get('Groups?filter=displayName eq "Ghosts"').get_json()["totalResults"] == 0

    group = make_group("Real", [alice])
    bad = ops({"op": "replace", "path": "displayName", "value": "Renamed"},
              {"op": "remove", "path": "members", "value": [{"value": alice}]},
              {"op": "add", "path": "members", "value": [{"value": "nobody-2"}]})
    response = scim.patch(f"Groups/{group['id']}", bad)
    assert response.status_code == 400 and "nobody-2" in response.get_json()["detail"]
    after = scim.get(f"Groups/{group['id']}").get_json()
    assert after["displayName"] == "Real" and after["meta"]["version"] == 'W/"1"'
    assert [m["value"] for m in after["members"]] == [alice]


def test_a_member_type_must_match_the_resource(scim, make_user, make_group):
    alice = make_user("alice@example.com")["id"]
    response = scim.post("Groups", {"displayName": "Typed",
                                    "members": [{"value": alice, "type": "Group"}]})
    assert response.status_code == 400


def test_filters_compile_to_sql(scim, make_user, make_group):
    alice, bob = make_user("alice@example.com")["id"], make_user("bob@example.com")["id"]
    sales = make_group("Sales", [alice], externalId="ext-Sales")
    staff = make_group("Staff", [bob])
    nested = make_group("Everyone", [sales["id"], bob])

    def found(expression, **params):
        response = scim.get("Groups", query_string={"filter": expression, **params})
        assert response.status_code == 200, response.get_json()
        return sorted(r["displayName"] for r in response.get_json()["Resources"])

    assert found('displayName eq "sales"') == ["Sales"]
    assert found('externalId eq "ext-Sales"') == ["Sales"]
    assert found('externalId eq "ext-sales"') == []  # externalId is caseExact
    assert found(f'id eq "{staff["id"]}"') == ["Staff"]
    assert found(f'members[value eq "{bob}"]') == ["Everyone", "Staff"]
    assert found(f'members.value eq "{alice}"') == ["Sales"]
    assert found(f'members[value eq "{sales["id"]}" and type eq "Group"]') == ["Everyone"]
    assert found('members[type eq "group"]') == ["Everyone"]
    assert found("members pr") == ["Everyone", "Sales", "Staff"]
    assert found('displayName sw "s" and not (members.value eq "x")') == ["Sales", "Staff"]
    assert found(f'meta.created ge "{nested["meta"]["created"]}"') == ["Everyone"]
    assert found('meta.lastModified gt "2000-01-01T00:00:00Z"') == ["Everyone", "Sales", "Staff"]
    bad = scim.get("Groups", query_string={"filter": 'title eq "x"'})
    assert bad.status_code == 400 and bad.get_json()["scimType"] == "invalidFilter"


def test_paging_sorting_and_projection(scim, make_group):
    for name in ("b", "c", "a", "d"):
        make_group(name)
    page = scim.get("Groups?sortBy=displayName&sortOrder=descending&startIndex=2&count=2")
    body = page.get_json()
    assert body["totalResults"] == 4 and body["startIndex"] == 2 and body["itemsPerPage"] == 2
    assert [r["displayName"] for r in body["Resources"]] == ["c", "b"]
    only = scim.get("Groups?attributes=displayName&sortBy=displayName").get_json()["Resources"][0]
    assert set(only) == {"schemas", "id", "displayName"}
    search = scim.post("Groups/.search", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:"
                                                      "SearchRequest"],
                                          "filter": 'displayName eq "D"',
                                          "excludedAttributes": ["members", "meta"]})
    assert [set(r) for r in search.get_json()["Resources"]] == [{"schemas", "id", "displayName"}]


def test_put_replaces_attributes_and_members(scim, make_user, make_group):
    alice, bob = make_user("alice@example.com")["id"], make_user("bob@example.com")["id"]
    group = make_group("Ops", [alice], externalId="e1")
    response = scim.put(f"Groups/{group['id']}", {"schemas": [GROUP], "displayName": "Ops 2",
                                                  "members": [{"value": bob}]})
    assert response.status_code == 200
    body = response.get_json()
    assert body["displayName"] == "Ops 2" and "externalId" not in body
    assert [m["value"] for m in body["members"]] == [bob]
    cleared = scim.put(f"Groups/{group['id']}", {"displayName": "Ops 2"}).get_json()
    assert "members" not in cleared


def test_patch_with_a_projection_answers_200(scim, make_user, make_group):
    alice = make_user("alice@example.com")["id"]
    gid = make_group("Projected")["id"]
    add = ops({"op": "add", "path": "members", "value": [{"value": alice}]})
    response = scim.patch(f"Groups/{gid}?excludedAttributes=members", add)
    assert response.status_code == 200
    assert response.get_json()["meta"]["version"] == 'W/"2"'
    assert "members" not in response.get_json()
    shown = scim.patch(f"Groups/{gid}?attributes=members", ops(
        {"op": "replace", "path": "displayName", "value": "P2"})).get_json()
    assert [m["value"] for m in shown["members"]] == [alice]


def test_versions_and_preconditions(scim, make_group):
    group = make_group("Versioned")
    gid = group["id"]
    assert scim.get(f"Groups/{gid}", headers={"If-None-Match": 'W/"1"'}).status_code == 304
    rename = ops({"op": "replace", "path": "displayName", "value": "V2"})
    stale = scim.patch(f"Groups/{gid}", rename, headers={"If-Match": 'W/"7"'})
    assert stale.status_code == 412
    fresh = scim.patch(f"Groups/{gid}", rename, headers={"If-Match": 'W/"1"'})
    assert fresh.status_code == 204 and fresh.headers["ETag"] == 'W/"2"'
    # A no-op (re-adding nothing new) keeps the version.
    assert scim.patch(f"Groups/{gid}", rename).status_code == 204
    assert scim.get(f"Groups/{gid}").get_json()["meta"]["version"] == 'W/"2"'
    assert scim.delete(f"Groups/{gid}", headers={"If-Match": 'W/"1"'}).status_code == 412
    assert scim.get("Groups/nope").status_code == 404
    assert scim.patch("Groups/nope", rename).status_code == 404
    assert scim.delete("Groups/nope").status_code == 404


def test_nested_groups_and_a_users_groups(scim, make_user, make_group):
    alice = make_user("alice@example.com")["id"]
    team = make_group("Team", [alice])
    dept = make_group("Department", [team["id"]])
    make_group("Company", [dept["id"]])
    shown = scim.get(f"Groups/{dept['id']}").get_json()["members"]
    assert shown == [{"value": team["id"], "$ref": f"http://localhost/scim/v2/Groups/{team['id']}",
                      "type": "Group"}]

    groups = scim.get(f"Users/{alice}").get_json()["groups"]
    assert sorted((g["display"], g["type"]) for g in groups) == [
        ("Company", "indirect"), ("Department", "indirect"), ("Team", "direct")]
    assert scim.post("Groups", {"displayName": "Self"}).status_code == 201
    selfish = scim.get('Groups?filter=displayName eq "Self"').get_json()["Resources"][0]["id"]
    response = scim.patch(f"Groups/{selfish}", ops(
        {"op": "add", "path": "members", "value": [{"value": selfish}]}))
    assert response.status_code == 400


def test_deleting_a_user_removes_it_from_its_groups(scim, make_user, make_group):
    alice, bob = make_user("alice@example.com")["id"], make_user("bob@example.com")["id"]
    group = make_group("Leavers", [alice, bob])
    assert scim.delete(f"Users/{alice}").status_code == 204
    assert member_ids(scim, group["id"]) == [bob]
    listed = scim.get(f'Groups?filter=members[value eq "{alice}"]').get_json()
    assert listed["totalResults"] == 0


def test_discovery_describes_groups_and_bulk(app, scim):
    group_type = scim.get("ResourceTypes/Group").get_json()
    assert group_type["endpoint"] == "/Groups" and group_type["schema"] == GROUP
    schema = scim.get(f"Schemas/{GROUP}").get_json()
    attributes = {a["name"]: a for a in schema["attributes"]}
    assert attributes["displayName"]["uniqueness"] == "server"
    assert {s["name"] for s in attributes["members"]["subAttributes"]} == {
        "value", "$ref", "display", "type"}
    bulk = scim.get("ServiceProviderConfig").get_json()["bulk"]
    assert bulk == {"supported": True, "maxOperations": app.config["SCIM_BULK_MAX_OPERATIONS"],
                    "maxPayloadSize": app.config["SCIM_MAX_PAYLOAD"]}


def test_users_hidden_by_a_soft_delete_leave_the_member_list(scim, make_user, make_group):
    alice, bob = make_user("alice@example.com")["id"], make_user("bob@example.com")["id"]
    group = make_group("Soft", [alice, bob])
    with tx.write() as session:
        settings.put(session, {"delete_mode": "deactivate"})
    assert scim.delete(f"Users/{alice}").status_code == 204
    assert member_ids(scim, group["id"]) == [bob]
    assert scim.get(f'Groups?filter=members[value eq "{alice}"]').get_json()["totalResults"] == 0
    response = scim.patch(f"Groups/{group['id']}", ops(
        {"op": "add", "path": "members", "value": [{"value": alice}]}))
    assert response.status_code == 400
