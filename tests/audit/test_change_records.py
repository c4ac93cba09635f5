"""Every write leaves a change record in its own transaction; a failed one leaves none."""

import pytest
from sqlalchemy import select

from models import ApiToken
from models import ChangeRecord
from models import RequestLog
from models import User
from models import db
from services import audit
from services import rules
from services.actor import Actor

PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def actions(rows):
    return [c.action for c in rows(ChangeRecord)]


def test_cli_token_create_and_revoke(runner, rows):
    assert runner.invoke(args=["tokens", "create", "--name", "entra"]).exit_code == 0
    assert runner.invoke(args=["tokens", "revoke", "entra"]).exit_code == 0
    issued, revoked = rows(ChangeRecord)
    assert (issued.action, issued.actor_kind) == ("token.issue", "cli")
    assert issued.resource_name == "entra"
    assert revoked.action == "token.revoke" and revoked.changes == {"status": ["active", "revoked"]}


def test_cli_custom_field_declare_and_retire(runner, rows):
    args = ["custom-fields", "create", "badge", "--type", "string"]
    assert runner.invoke(args=args).exit_code == 0
    assert runner.invoke(args=["custom-fields", "retire", "badge"]).exit_code == 0
    assert actions(rows) == ["custom_field.declare", "custom_field.retire"]


def test_admin_ui_sign_in_token_and_settings(app, admin_ui, rows):
    admin_ui.post("/admin/tokens", data={"name": "okta", "days": 30})
    admin_ui.post("/auth/login", data={"username": "alice", "password": "wrong password!"})
    rules.save({"require_email": True}, Actor("admin", "1", "alice"))
    recorded = rows(ChangeRecord)
    assert [c.action for c in recorded] == [
        "admin.create", "admin.sign_in", "token.issue", "admin.sign_in_failed", "settings.change"]
    assert recorded[2].actor_kind == "admin" and recorded[2].actor == "alice"
    assert recorded[4].changes == {"require_email": [False, True]}


def test_failed_patch_changes_nothing_and_leaves_only_its_request_row(scim, make_user, rows):
    user = make_user("p@example.com", title="Before")
    before = len(rows(ChangeRecord))
    response = scim.patch(f"Users/{user['id']}", {"schemas": [PATCH], "Operations": [
        {"op": "replace", "path": "title", "value": "After"},
        {"op": "frobnicate", "path": "title", "value": "x"}]})
    assert response.status_code == 400
    assert len(rows(ChangeRecord)) == before
    assert rows(RequestLog)[-1].status == 400
    assert db.session.get(User, user["id"]).data["title"] == "Before"


def test_duplicate_post_changes_nothing(scim, make_user, rows):
    make_user("dup@example.com")
    before = len(rows(ChangeRecord))
    response = scim.post("Users", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                                   "userName": "dup@example.com"})
    assert response.status_code == 409
    assert len(rows(ChangeRecord)) == before
    last = rows(RequestLog)[-1]
    assert (last.status, last.method) == (409, "POST")
    assert last.request_id in response.get_json()["detail"]


def test_secret_attributes_are_redacted():
    changes = audit.redact({"password": ["a", "b"], "urn:x:2.0:User:token": [None, "t"],
                            "name.givenName": ["A", "B"]})
    assert changes == {"password": ["[redacted]", "[redacted]"],
                       "urn:x:2.0:User:token": ["[redacted]", "[redacted]"],
                       "name.givenName": ["A", "B"]}


def test_change_records_are_hashed_at_write_time(scim, make_user, rows):
    make_user("h@example.com")
    change = rows(ChangeRecord)[-1]
    assert len(change.content_hash) == 64 and change.seq is None


SECRET_PASSWORD = "Hunter2-Very-Secret-Pa55"


@pytest.fixture
def secrets_everywhere(runner, scim, admin_ui):
    """Put a user password, a token secret and an admin password through every path."""
    secret = runner.invoke(args=["tokens", "create", "--name", "leaky"]).output.splitlines()[-1]
    body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "s@example.com", "password": SECRET_PASSWORD}
    user = scim.post("Users", body).get_json()
    scim.patch(f"Users/{user['id']}", {"schemas": [PATCH], "Operations": [
        {"op": "replace", "path": "password", "value": SECRET_PASSWORD + "2"}]})
    scim.put(f"Users/{user['id']}", body)
    scim.client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {secret}x"})
    scim.client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {secret}"})
    admin_ui.post("/auth/login", data={"username": "alice", "password": SECRET_PASSWORD})
    return [secret, scim.headers["Authorization"].split()[1], SECRET_PASSWORD,
            "correct horse battery staple"]


def test_no_secret_in_any_record(secrets_everywhere, everything, rows):
    stored = everything()
    for secret in secrets_everywhere:
        assert secret not in stored
    tokens = db.session.execute(select(ApiToken)).scalars()
    assert all(t.prefix in stored for t in tokens if t.name == "leaky")


def test_no_secret_in_any_export(secrets_everywhere, auditor):
    for kind in ("requests", "changes"):
        for fmt in ("csv", "jsonl"):
            body = auditor.get(f"/admin/audit/export.{fmt}?kind={kind}").get_data(as_text=True)
            assert body.count("\n") > 2
            for secret in secrets_everywhere:
                assert secret not in body
