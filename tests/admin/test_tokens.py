"""Tokens in the UI: generated with the secret shown once, listed, revoked, rotated."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from models import ApiToken
from models import ChangeRecord
from models import db
from models import utcnow
from services import tokens
from services.actor import CLI
from tests.admin.helpers import page

SECRET = re.compile(r"rcscim_[A-Za-z0-9_-]{20,}")


def generate(client, name="entra", days="90"):
    return client.post("/admin/tokens", data={"name": name, "days": days})


def scim_status(client, secret):
    return client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {secret}"}).status_code


def test_the_form_defaults_to_90_days(admin_client):
    html = page(admin_client.get("/admin/tokens"))
    assert re.search(r'<input[^>]*id="days"[^>]*value="90"', html)
    assert "No token yet." in html


def test_generate_shows_the_secret_once(admin_client):
    response = generate(admin_client, days="30")
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    assert "Location" not in response.headers
    html = page(response)
    [secret] = set(SECRET.findall(html))
    assert "http://localhost/scim/v2" in html
    assert "cannot be shown again" in html
    token = db.session.execute(select(ApiToken)).scalar_one()
    assert secret.startswith(token.prefix)
    assert token.created_by == "admin:alice"
    assert (token.expires_at - utcnow()).days in (29, 30)
    # It is not kept anywhere the browser or the server could show it again.
    assert secret not in page(admin_client.get("/admin/tokens"))
    assert secret not in page(admin_client.get("/admin/"))
    cookie = admin_client.get_cookie("session")
    assert secret not in cookie.value
    session = admin_client.application.session_interface.get_signing_serializer(
        admin_client.application).loads(cookie.value)
    assert secret not in repr(session)
    assert token.token_hash != secret and secret not in token.token_hash
    assert scim_status(admin_client, secret) == 200


def test_generate_is_recorded(admin_client):
    generate(admin_client)
    record = db.session.execute(
        select(ChangeRecord).where(ChangeRecord.action == "token.issue")).scalar_one()
    assert (record.actor_kind, record.actor, record.resource_name) == ("admin", "alice", "entra")


@pytest.mark.parametrize("name, days, message", [
    ("", "90", "Enter a name."),
    ("   ", "90", "Enter a name."),
    # The name is its change records' 64-character resource id: one limit, said in the form.
    ("x" * 65, "90", "Use at most 64 characters."),
    ("Ø" * 65, "90", "Use at most 64 characters."),
    ("entra", "", "Enter a number of days."),
    ("entra", "abc", "Enter a whole number, e.g. 90."),
    ("entra", "0", "Enter a number of days from 1 to 3,650."),
    ("entra", "3651", "Enter a number of days from 1 to 3,650."),
    ("entra", "-5", "Enter a number of days from 1 to 3,650."),
])
def test_generate_validation(admin_client, name, days, message):
    response = generate(admin_client, name, days)
    assert response.status_code == 400
    assert message in page(response)
    assert not SECRET.search(page(response))
    assert tokens.all_tokens() == []


def test_a_duplicate_name_is_refused(admin_client):
    generate(admin_client)
    response = generate(admin_client)
    assert response.status_code == 400
    assert "A token named &#39;entra&#39; exists already." in page(response)
    assert len(tokens.all_tokens()) == 1


def test_the_list_shows_each_token(admin_client):
    tokens.issue("old", 1, CLI)
    db.session.execute(ApiToken.__table__.update().values(expires_at=utcnow() - timedelta(days=1)))
    db.session.commit()
    _, secret = tokens.issue("entra", 90, CLI)
    tokens.issue("gone", 90, CLI)
    tokens.revoke("gone", CLI)
    scim_status(admin_client, secret)
    html = page(admin_client.get("/admin/tokens"))
    for name in ("old", "entra", "gone"):
        assert f'<th scope="row">{name}' in html
    assert "expired</span>" in html and "revoked</span>" in html and "active</span>" in html
    assert secret[:13] + "…" in html
    assert "in use by Entra" in html
    assert re.search(r'<th scope="row">entra\s*<span class="badge badge-info">in use by', html)


def test_revoke_asks_first_then_revokes(admin_client):
    _, secret = tokens.issue("entra", 90, CLI)
    token_id = tokens.all_tokens()[0].id
    confirm = admin_client.get(f"/admin/tokens/{token_id}/revoke")
    assert confirm.status_code == 200
    assert "Revoke entra?" in page(confirm)
    assert scim_status(admin_client, secret) == 200
    assert "Entra is still using this token" in page(
        admin_client.get(f"/admin/tokens/{token_id}/revoke"))
    response = admin_client.post(f"/admin/tokens/{token_id}/revoke", follow_redirects=True)
    assert "Token entra is revoked." in page(response)
    assert scim_status(admin_client, secret) == 401
    assert tokens.all_tokens()[0].revoked_at is not None


def test_unknown_tokens_are_404(admin_client):
    assert admin_client.get("/admin/tokens/99/revoke").status_code == 404
    assert admin_client.post("/admin/tokens/99/revoke").status_code == 404
    assert admin_client.post("/admin/tokens/99/rotate").status_code == 404


def test_rotate_issues_a_successor_and_keeps_the_old_token(admin_client):
    _, old_secret = tokens.issue("entra", 90, CLI)
    old = tokens.all_tokens()[0]
    form = page(admin_client.get(f"/admin/tokens/{old.id}/rotate"))
    name = f"entra-rotated-{utcnow():%Y-%m-%d}"
    assert f'value="{name}"' in form
    response = admin_client.post(f"/admin/tokens/{old.id}/rotate",
                                 data={"name": name, "days": "90"})
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    [new_secret] = set(SECRET.findall(page(response)))
    assert "This token replaces <strong>entra</strong>" in page(response)
    assert scim_status(admin_client, old_secret) == 200
    assert scim_status(admin_client, new_secret) == 200
    html = page(admin_client.get("/admin/tokens"))
    assert re.search(rf'<th scope="row">{name}\s*<span class="badge badge-info">in use', html)
    scim_status(admin_client, old_secret)
    html = page(admin_client.get("/admin/tokens"))
    assert re.search(r'<th scope="row">entra\s*<span class="badge badge-info">in use', html)


def test_rotate_validation(admin_client):
    tokens.issue("entra", 90, CLI)
    old = tokens.all_tokens()[0]
    response = admin_client.post(f"/admin/tokens/{old.id}/rotate",
                                 data={"name": "entra", "days": "90"})
    assert response.status_code == 400
    assert "exists already" in page(response)
    response = admin_client.post(f"/admin/tokens/{old.id}/rotate",
                                 data={"name": "next", "days": "0"})
    assert response.status_code == 400
    assert len(tokens.all_tokens()) == 1


def test_rotated_names_fit(admin_client):
    from blueprints.admin_tokens import rotated_name

    assert rotated_name("x" * 64).startswith("x" * 45)
    assert len(rotated_name("x" * 64)) == 64
    assert rotated_name("a-rotated-2024-01-01").startswith("a-rotated-")
    assert rotated_name("a-rotated-2024-01-01").count("-rotated-") == 1


def test_revoking_says_when_it_takes_effect(app, admin_client):
    tokens.issue("entra", 90, CLI)
    token_id = tokens.all_tokens()[0].id
    assert "within 5 seconds" in page(admin_client.get(f"/admin/tokens/{token_id}/revoke"))
    app.config["SCIM_TOKEN_CACHE_SECONDS"] = 0
    assert "get <code>401</code> at once." in page(
        admin_client.get(f"/admin/tokens/{token_id}/revoke"))
