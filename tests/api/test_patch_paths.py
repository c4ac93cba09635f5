"""No silent PATCH, over HTTP (issue 12, item 6).

Each operation applies, is a recorded quirk, is ignored and noted, or is refused with
invalidPath.
"""

import pytest
from sqlalchemy import select

from models import RequestLog
from models import db
from services import rules
from tests.conftest import ADMIN

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def patch_body(*operations):
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def last_notes() -> list:
    db.session.rollback()
    stmt = select(RequestLog).order_by(RequestLog.id.desc()).limit(1)
    return db.session.execute(stmt).scalar_one().notes or []


def test_microsofts_dotted_manager_path_sets_the_manager(scim, make_user):
    """The path as Microsoft's API-driven inbound sample sends it."""
    boss = make_user("Åse.Boss@ex.no")
    report = make_user("Øyvind.Berg@ex.no")
    response = scim.patch(f"Users/{report['id']}", patch_body(
        {"op": "replace", "path": f"{ENTERPRISE}.manager", "value": boss["id"]}))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()[ENTERPRISE]["manager"]["value"] == boss["id"]
    assert any(f"{ENTERPRISE}.manager" in note and "read PATCH path" in note
               for note in last_notes())
    found = scim.get(f'Users?filter=manager.value eq "{boss["id"]}"').get_json()
    assert [r["id"] for r in found["Resources"]] == [report["id"]]


def test_dotted_urn_in_a_path_less_value(scim, make_user):
    user = make_user("İlker.Kaya@ex.tr")
    response = scim.patch(f"Users/{user['id']}", patch_body(
        {"op": "add", "value": {f"{ENTERPRISE}.department": "Økonomi", f"{CORE}.title": "Lead"}}))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body[ENTERPRISE]["department"], body["title"]) == ("Økonomi", "Lead")
    assert sum("read PATCH path" in note for note in last_notes()) == 2


@pytest.mark.parametrize("operation, noted", [
    ({"op": "replace", "path": "favouriteColour", "value": "teal"}, "favouriteColour"),
    ({"op": "replace", "path": "name.middleInitial", "value": "Ø"}, "name.middleInitial"),
    ({"op": "add", "path": f"{CORE}:favouriteColour", "value": "teal"},
     f"{CORE}:favouriteColour"),
    ({"op": "replace", "value": {"favouriteColour": "teal"}}, "favouriteColour"),
])
def test_under_ignore_an_unknown_path_is_ignored_and_noted(scim, make_user, operation, noted):
    """One unsupported Entra mapping must not fail every update of the user."""
    user = make_user("Ørjan@x.no")
    response = scim.patch(f"Users/{user['id']}", patch_body(
        operation, {"op": "replace", "path": "active", "value": "False"}))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["active"] is False
    assert f"ignored unknown attribute {noted}" in last_notes()


def test_under_ignore_a_patch_of_only_unknown_paths_changes_nothing_and_notes_it(
        scim, make_user):
    user = make_user("Ørjan@x.no")
    response = scim.patch(f"Users/{user['id']}", patch_body(
        {"op": "replace", "path": "favouriteColour", "value": "teal"}))
    assert response.status_code == 200
    assert response.get_json()["meta"]["version"] == user["meta"]["version"]
    assert "ignored unknown attribute favouriteColour" in last_notes()


@pytest.mark.parametrize("operation", [
    {"op": "replace", "path": "favouriteColour", "value": "teal"},
    {"op": "replace", "path": "name.middleInitial", "value": "Ø"},
    {"op": "replace", "value": {"favouriteColour": "teal"}},
    {"op": "add", "path": "urn:ietf:params:scim:schemas:extension:Other:2.0:User:x",
     "value": "1"},
])
def test_under_reject_an_unknown_path_is_invalid_path(scim, make_user, operation):
    user = make_user("Ørjan@x.no")
    rules.save({"unknown_attributes": "reject"}, ADMIN)
    response = scim.patch(f"Users/{user['id']}", patch_body(
        operation, {"op": "replace", "path": "active", "value": "False"}))
    assert response.status_code == 400
    assert response.get_json()["scimType"] == "invalidPath"
    assert scim.get(f"Users/{user['id']}").get_json()["active"] is True


def test_group_patch_ignores_or_refuses_unknown_paths_the_same_way(scim):
    group = scim.post("Groups", {"schemas": [GROUP], "displayName": "Ørkesteret"}).get_json()
    operation = {"op": "replace", "path": "colour", "value": "teal"}
    response = scim.patch(f"Groups/{group['id']}", patch_body(operation))
    assert response.status_code in (200, 204)
    assert "ignored unknown attribute colour" in last_notes()
    rules.save({"unknown_attributes": "reject"}, ADMIN)
    response = scim.patch(f"Groups/{group['id']}", patch_body(operation))
    assert response.status_code == 400
    assert response.get_json()["scimType"] == "invalidPath"


def test_dotted_group_display_name(scim):
    group = scim.post("Groups", {"schemas": [GROUP], "displayName": "Ørkesteret"}).get_json()
    response = scim.patch(f"Groups/{group['id']}", patch_body(
        {"op": "replace", "path": f"{GROUP}.displayName", "value": "Korpset"}))
    assert response.status_code in (200, 204)
    assert scim.get(f"Groups/{group['id']}").get_json()["displayName"] == "Korpset"


def test_dotted_group_members_path_changes_memberships(scim, make_user):
    """The members of a group live in their own table: a dotted path must reach them too."""
    user = make_user("Ørjan@x.no")
    group = scim.post("Groups", {"schemas": [GROUP], "displayName": "Ørkesteret"}).get_json()
    response = scim.patch(f"Groups/{group['id']}", patch_body(
        {"op": "add", "path": f"{GROUP}.members", "value": [{"value": user["id"]}]}))
    assert response.status_code in (200, 204)
    members = scim.get(f"Groups/{group['id']}").get_json().get("members", [])
    assert [m["value"] for m in members] == [user["id"]]
    found = scim.get(f'Groups?filter=members.value eq "{user["id"]}"').get_json()
    assert found["totalResults"] == 1
