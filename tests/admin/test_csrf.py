"""With CSRF protection on (as in production), a POST without the token changes nothing."""

import pytest

from services import custom_fields
from services import tokens
from services.actor import CLI
from tests.admin.helpers import PASSWORD
from tests.admin.helpers import counts
from tests.admin.helpers import csrf_from
from tests.admin.helpers import make_account
from tests.admin.helpers import page


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


@pytest.fixture
def signed_in(app, client):
    make_account("alice")
    token = csrf_from(page(client.get("/auth/login")))
    response = client.post("/auth/login", data={"username": "alice", "password": PASSWORD,
                                                "csrf_token": token})
    assert response.status_code == 302
    return client


def test_sign_in_without_the_token_is_refused(app, client):
    make_account("alice")
    response = client.post("/auth/login", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 400
    assert "CSRF" in page(response)
    assert client.get("/admin/").status_code == 302


def test_every_admin_write_without_the_token_is_refused(app, signed_in):
    token, _ = tokens.issue("entra", 90, CLI)
    custom_fields.define("costCode", "string", False, "", CLI)
    before = counts()
    posts = {
        "/admin/tokens": {"name": "new", "days": "90"},
        f"/admin/tokens/{token.id}/revoke": {},
        f"/admin/tokens/{token.id}/rotate": {"name": "next", "days": "90"},
        "/admin/fields": {"name": "other", "type": "string"},
        "/admin/fields/costCode/edit": {"description": "changed"},
        "/admin/fields/costCode/retire": {},
        "/admin/settings": {"matching_attribute": "email", "delete_mode": "delete",
                            "unknown_attributes": "reject"},
        "/admin/directories": {"slug": "staging", "name": "Staging"},
        "/admin/directories/default/rename": {"name": "Renamed"},
        "/admin/orphans/deactivate": {"user": "x"},
        "/auth/password": {"current": PASSWORD, "new": "a new passphrase",
                           "confirm": "a new passphrase"},
    }
    for url, data in posts.items():
        response = signed_in.post(url, data=data)
        assert response.status_code == 400, url
    assert counts() == before
    assert [t.revoked_at for t in tokens.all_tokens()] == [None]
    assert custom_fields.all_fields()[0].retired_at is None


def test_sign_out_without_the_token_is_refused(signed_in):
    assert signed_in.post("/auth/logout").status_code == 400
    assert signed_in.get("/admin/").status_code == 200


def test_with_the_token_a_write_goes_through(signed_in):
    html = page(signed_in.get("/admin/tokens"))
    response = signed_in.post("/admin/tokens", data={"name": "entra", "days": "30",
                                                     "csrf_token": csrf_from(html)})
    assert response.status_code == 201
