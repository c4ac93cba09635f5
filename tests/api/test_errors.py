"""Every error under /scim/v2 is a SCIM error body with application/scim+json."""

from datetime import timedelta

import pytest
from sqlalchemy import update

from models import ApiToken
from models import db
from models import utcnow
from services import tokens
from services.actor import CLI


def assert_scim_error(response, status, scim_type=None):
    assert response.status_code == status
    assert response.content_type == "application/scim+json"
    body = response.get_json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert body["status"] == str(status)
    assert body["detail"]
    assert response.headers["X-Request-Id"] in body["detail"]
    if scim_type:
        assert body["scimType"] == scim_type
    return body


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer nope", "Basic dXNlcjpwYXNz",
                                    "bearer rcscim_wrong"])
def test_missing_or_wrong_token_is_401(client, token, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/scim/v2/Users", headers=headers)
    assert_scim_error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_expired_and_revoked_tokens_are_401(client):
    _, expired = tokens.issue("old", 1, CLI)
    db.session.execute(update(ApiToken).where(ApiToken.name == "old")
                       .values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    _, revoked = tokens.issue("gone", 30, CLI)
    tokens.revoke("gone", CLI)
    for secret in (expired, revoked):
        response = client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {secret}"})
        assert_scim_error(response, 401)



def _users(client, secret):
    return client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {secret}"})


def _revoke_elsewhere(name):
    """Revoke as another worker process would: in the database, not in this process's cache."""
    db.session.execute(update(ApiToken).where(ApiToken.name == name).values(revoked_at=utcnow()))
    db.session.commit()


def test_a_remembered_token_ends_with_its_expiry_and_with_revocation(app, client, monkeypatch):
    assert app.config["SCIM_TOKEN_CACHE_SECONDS"] == 5
    _, secret = tokens.issue("entra", 1, CLI)
    assert _users(client, secret).status_code == 200  # now remembered by this process
    monkeypatch.setattr(tokens, "utcnow", lambda: utcnow() + timedelta(days=1, seconds=1))
    assert_scim_error(_users(client, secret), 401)  # expiry is checked on every use
    monkeypatch.undo()

    _, other = tokens.issue("okta", 30, CLI)
    assert _users(client, other).status_code == 200
    tokens.revoke("okta", CLI)  # in this process: at once
    assert_scim_error(_users(client, other), 401)


def test_a_token_revoked_by_another_worker_ends_within_the_cache_time(client, monkeypatch):
    _, secret = tokens.issue("entra", 30, CLI)
    assert _users(client, secret).status_code == 200
    _revoke_elsewhere("entra")
    assert _users(client, secret).status_code == 200  # remembered for at most 5 seconds
    later = tokens.time.monotonic() + 5.1
    monkeypatch.setattr(tokens.time, "monotonic", lambda: later)
    assert_scim_error(_users(client, secret), 401)


@pytest.mark.parametrize("app_config", [{"SCIM_TOKEN_CACHE_SECONDS": 0}])
def test_with_no_token_cache_revocation_elsewhere_is_immediate(client):
    _, secret = tokens.issue("entra", 30, CLI)
    assert _users(client, secret).status_code == 200
    _revoke_elsewhere("entra")
    assert_scim_error(_users(client, secret), 401)

def test_token_last_used_is_recorded(scim):
    assert scim.get("Users").status_code == 200
    token = db.session.execute(db.select(ApiToken)).scalar_one()
    assert token.last_used_at is not None


def test_unknown_route_is_scim_404(scim):
    assert_scim_error(scim.get("Nope"), 404)
    assert_scim_error(scim.get("Users/some/thing"), 404)


def test_wrong_method_is_scim_405_with_allow(scim):
    response = scim.delete("Users")
    assert_scim_error(response, 405)
    assert "GET" in response.headers["Allow"]
    assert_scim_error(scim.put("ServiceProviderConfig", {}), 405)


@pytest.mark.parametrize("raw", [b"{", b"[]", b'"text"', b"null", b"\xff\xfe", b"[" * 5000])
def test_bad_json_is_invalid_syntax(scim, raw):
    response = scim.client.post("/scim/v2/Users", data=raw, headers=scim.headers)
    assert_scim_error(response, 400, "invalidSyntax")


def test_deep_nesting_is_rejected(scim):
    body = {"userName": "deep"}
    cursor = body
    for _ in range(40):
        cursor["x"] = {}
        cursor = cursor["x"]
    assert_scim_error(scim.post("Users", body), 400, "invalidSyntax")


def test_too_large_body_is_413(app, scim):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = scim.post("Users", {"userName": "big", "title": "x" * 2000})
    assert_scim_error(response, 413)


def test_missing_username_is_invalid_value(scim):
    assert_scim_error(scim.post("Users", {"schemas": [], "displayName": "x"}), 400, "invalidValue")


def test_wrong_types_are_invalid_value(scim):
    assert_scim_error(scim.post("Users", {"userName": 5}), 400, "invalidValue")
    assert_scim_error(scim.post("Users", {"userName": "a", "active": "maybe"}), 400,
                      "invalidValue")
    assert_scim_error(scim.post("Users", {"userName": "a", "emails": [
        {"value": "a", "primary": True}, {"value": "b", "primary": True}]}), 400, "invalidValue")


@pytest.mark.parametrize("body", [
    {"Operations": [{"op": "replace", "path": "title", "value": "x"}]},
    {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": []},
    {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": "x"},
    {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
     "Operations": [{"op": "explode", "path": "title"}]},
    {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
     "Operations": [{"op": "remove"}]},
    {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
     "Operations": [{"op": "replace", "path": "emails[type eq", "value": "x"}]},
    {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
     "Operations": [{"op": "replace", "path": "id", "value": "x"}]},
])
def test_bad_patch_requests_are_400_and_change_nothing(scim, make_user, body):
    user = make_user("patchme@example.com", title="before")
    response = scim.patch(f"Users/{user['id']}", body)
    assert response.status_code == 400
    assert response.get_json()["scimType"]
    after = scim.get(f"Users/{user['id']}").get_json()
    assert after["title"] == "before"
    assert after["meta"]["version"] == user["meta"]["version"]


def test_me_is_not_implemented(scim):
    assert_scim_error(scim.get("Me"), 501)


def test_healthz_needs_no_auth_and_html_404_outside_scim(client):
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    response = client.get("/nope")
    assert response.status_code == 404
    assert response.content_type.startswith("text/html")


def test_value_length_limit_is_configurable(app, scim):
    app.config["SCIM_MAX_VALUE_LENGTH"] = 50
    response = scim.post("Users", {"userName": "a", "nickName": "n" * 51})
    assert_scim_error(response, 400, "invalidValue")
    assert scim.post("Users", {"userName": "a", "nickName": "n" * 50}).status_code == 201
