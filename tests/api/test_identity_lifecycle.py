"""Leavers lose access, rehires start bare, deprovisioning is never blocked, safe links.

Issue 12 items 2, 4, 5 and 7: a POST links to a user only when every matching key agrees.

Over HTTP as Entra sends it, on SQLite and PostgreSQL (TEST_DATABASE_URL).
"""

import pytest
from sqlalchemy import select

from models import ChangeRecord
from models import GroupMember
from models import RequestLog
from models import db
from services import rules
from tests.conftest import ADMIN
from tests.conftest import user_body

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
URN = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def records(resource_id: str) -> list[tuple[str, dict]]:
    db.session.rollback()
    stmt = select(ChangeRecord.action, ChangeRecord.changes).where(
        ChangeRecord.resource_id == resource_id).order_by(ChangeRecord.id)
    return [(action, changes) for action, changes in db.session.execute(stmt)]


def last_notes() -> list:
    db.session.rollback()
    stmt = select(RequestLog).order_by(RequestLog.id.desc()).limit(1)
    return db.session.execute(stmt).scalar_one().notes or []


def memberships(user_id: str) -> list[str]:
    db.session.rollback()
    stmt = select(GroupMember.group_id).where(GroupMember.user_id == user_id)
    return list(db.session.execute(stmt).scalars())


def replace(path, value):
    return {"schemas": [PATCH_OP], "Operations": [{"op": "Replace", "path": path,
                                                   "value": value}]}


@pytest.fixture
def member(scim, make_user):
    """Émile, member of two groups (one an admin group); returns (user, groups, ETags)."""
    user = make_user("Émile.Ødegård@ex.fr")
    groups, etags = [], {}
    for name in ("Admins Ø", "İstanbul office"):
        response = scim.post("Groups", {"schemas": [GROUP], "displayName": name,
                                        "members": [{"value": user["id"]}]})
        assert response.status_code == 201, response.get_json()
        groups.append(response.get_json()["id"])
        etags[groups[-1]] = response.headers["ETag"]
    return user, groups, etags


def left_groups(scim, user, groups, etags):
    """Each group lost the member, has a new ETag and a group.patch record naming it."""
    assert memberships(user["id"]) == []
    for group_id in groups:
        fresh = scim.get(f"Groups/{group_id}", headers={"If-None-Match": etags[group_id]})
        assert fresh.status_code == 200  # no longer 304: a member left
        assert fresh.headers["ETag"] != etags[group_id]
        assert "members" not in fresh.get_json()
        assert records(group_id)[-1] == ("group.patch", {"members.removed": [[user["id"]], None]})


@pytest.mark.parametrize("mode", ["delete", "deactivate"])
def test_delete_and_hide_end_every_membership_visibly(scim, member, mode):
    rules.save({"delete_mode": mode}, ADMIN)
    user, groups, etags = member
    assert scim.delete(f"Users/{user['id']}").status_code == 204
    left_groups(scim, user, groups, etags)
    assert records(user["id"])[-1][0] == {"delete": "user.delete",
                                          "deactivate": "user.hide"}[mode]


def test_a_revived_user_starts_without_groups_and_says_so(scim, member):
    rules.save({"delete_mode": "deactivate"}, ADMIN)
    user, groups, _ = member
    assert scim.delete(f"Users/{user['id']}").status_code == 204
    response = scim.post("Users", user_body("émile.ødegård@ex.fr", displayName="Émile"))
    assert response.status_code == 200  # the same account, updated, not created
    body = response.get_json()
    assert body["id"] == user["id"] and body["active"] is True
    assert "groups" not in body
    assert memberships(user["id"]) == []
    assert [action for action, _ in records(user["id"])] == [
        "user.create", "user.hide", "user.revive"]
    assert f"revived hidden user {user['id']}" in last_notes()
    for group_id in groups:
        assert "members" not in scim.get(f"Groups/{group_id}").get_json()


def test_a_user_without_groups_is_deleted_with_no_group_record(scim, make_user):
    user = make_user("ß.solo@ex.de")
    assert scim.delete(f"Users/{user['id']}").status_code == 204
    db.session.rollback()
    assert db.session.execute(select(ChangeRecord.action).where(
        ChangeRecord.resource_type == "Group")).first() is None


# Rules never block deprovisioning (item 4) ---------------------------------------------------

@pytest.fixture
def no_email(scim):
    """İlker, created without email before "require email" was turned on."""
    response = scim.post("Users", {"userName": "İlker.Kaya@ex.tr", "active": True})
    assert response.status_code == 201, response.get_json()
    rules.save({"require_email": True}, ADMIN)
    return response.get_json()


@pytest.mark.parametrize("value", ["False", False])
def test_a_user_without_email_can_be_deactivated(scim, no_email, value):
    response = scim.patch(f"Users/{no_email['id']}", replace("active", value))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["active"] is False


def test_a_user_without_email_can_be_updated_and_deleted(scim, no_email):
    assert scim.patch(f"Users/{no_email['id']}", replace("title", "Mühendis")).status_code == 200
    assert scim.delete(f"Users/{no_email['id']}").status_code == 204


def test_require_email_still_refuses_creates_and_removals(scim, no_email):
    response = scim.post("Users", {"userName": "Øystein@ex.no"})
    assert response.status_code == 400 and "email" in response.get_json()["detail"]
    holder = scim.post("Users", user_body("Élodie@ex.fr")).get_json()
    removed = scim.patch(f"Users/{holder['id']}", {"schemas": [PATCH_OP], "Operations": [
        {"op": "remove", "path": "emails"}]})
    assert removed.status_code == 400
    # Deactivating while removing the email is deprovisioning: it goes through.
    leaving = scim.patch(f"Users/{holder['id']}", {"schemas": [PATCH_OP], "Operations": [
        {"op": "remove", "path": "emails"}, {"op": "replace", "path": "active", "value": False}]})
    assert leaving.status_code == 200, leaving.get_json()


# Linking is safe (item 5) --------------------------------------------------------------------

@pytest.fixture
def linking(runner):
    result = runner.invoke(args=["custom-fields", "create", "costCode", "--type", "string"])
    assert result.exit_code == 0, result.output
    rules.save({"link_on_create": True}, ADMIN)


def test_a_linked_post_keeps_what_it_does_not_carry(scim, linking):
    first = scim.post("Users", user_body("Åsa.Ström@ex.se", externalId="e-1", **{
        ENTERPRISE: {"department": "Forskning", "employeeNumber": "701"},
        URN: {"costCode": "CC-Ø"}})).get_json()
    response = scim.post("Users", user_body("åsa.ström@ex.se", displayName="Åsa Ström",
                                            **{ENTERPRISE: {"division": "Nord"}}))
    assert response.status_code == 200
    body = scim.get(f"Users/{first['id']}").get_json()
    assert body["displayName"] == "Åsa Ström" and body["externalId"] == "e-1"
    assert body[ENTERPRISE] == {"department": "Forskning", "employeeNumber": "701",
                                "division": "Nord"}
    assert body[URN] == {"costCode": "CC-Ø"}
    assert [action for action, _ in records(first["id"])] == ["user.create", "user.link"]


def test_a_replay_writes_nothing(scim, linking):
    body = user_body("Åsa.Ström@ex.se", externalId="e-1", **{URN: {"costCode": "CC-Ø"}})
    first = scim.post("Users", body).get_json()
    replay = scim.post("Users", body)
    assert replay.status_code == 200
    assert replay.get_json()["meta"]["version"] == first["meta"]["version"]
    assert replay.headers["ETag"] == first["meta"]["version"]
    assert [action for action, _ in records(first["id"])] == ["user.create"]
    assert f"linked POST to existing user {first['id']}: nothing changed" in last_notes()


def test_keys_naming_two_users_are_a_conflict_naming_both(scim, linking):
    """The issue's case: userName matches A, externalId matches B; B is left alone."""
    a = scim.post("Users", user_body("Øyvind@ex.no", externalId="A-1")).get_json()
    b = scim.post("Users", user_body("Ørjan@ex.no", externalId="B-1")).get_json()
    response = scim.post("Users", user_body("øyvind@ex.no", externalId="B-1"))
    assert response.status_code == 409
    error = response.get_json()
    assert error["scimType"] == "uniqueness"
    assert a["id"] in error["detail"] and b["id"] in error["detail"]
    assert scim.get(f"Users/{b['id']}").get_json()["userName"] == "Ørjan@ex.no"
    assert [action for action, _ in records(b["id"])] == ["user.create"]


def test_email_is_a_linking_key_only_under_email_matching(scim, linking):
    a = scim.post("Users", user_body("Øyvind@ex.no")).get_json()
    b = scim.post("Users", user_body("Ørjan@ex.no")).get_json()
    both = user_body("øyvind@ex.no", emails=[{"value": "ØRJAN@ex.no", "type": "work"}])
    # userName matching: the email names nobody, the POST links to A.
    assert scim.post("Users", both).get_json()["id"] == a["id"]
    rules.save({"matching_attribute": "email"}, ADMIN)
    response = scim.post("Users", both)
    assert response.status_code == 409
    assert a["id"] in response.get_json()["detail"] and b["id"] in response.get_json()["detail"]


def test_a_deleted_nested_group_leaves_its_parents_visibly(scim):
    child = scim.post("Groups", {"schemas": [GROUP], "displayName": "Ærø crew"}).get_json()
    parent = scim.post("Groups", {"schemas": [GROUP], "displayName": "Øresund",
                                  "members": [{"value": child["id"]}]})
    etag, parent = parent.headers["ETag"], parent.get_json()
    assert scim.delete(f"Groups/{child['id']}").status_code == 204
    left_groups(scim, child, [parent["id"]], {parent["id"]: etag})
