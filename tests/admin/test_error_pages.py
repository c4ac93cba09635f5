"""Error pages that help: 403 says what the role may not do and who can; 500 gives a request id."""

import re

from tests.admin.helpers import make_account
from tests.admin.helpers import page


def test_403_names_the_refused_action_and_the_admins(app, auditor_client):
    make_account("Ørjan", "admin")
    response = auditor_client.post("/admin/tokens", data={"name": "x", "days": "90"})
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert "signed in as an <strong>auditor</strong>" in html
    assert "not generate a token" in html
    assert "<strong>Ørjan</strong>" in html
    assert "Forbidden" not in html  # not Werkzeug's generic text


def test_500_shows_the_request_id(app, admin_client, monkeypatch):
    from services.readmodels import dashboard

    def boom():
        raise RuntimeError("secret internals")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    monkeypatch.setattr(dashboard, "summary", boom)
    response = admin_client.get("/admin/")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "secret internals" not in html
    found = re.search(r'<code id="error-request-id" class="wrap">([0-9a-f-]{36})</code>', html)
    assert found, html


def test_the_cli_says_when_a_revocation_takes_effect(app, runner):
    runner.invoke(args=["tokens", "create", "--name", "Ærø-sync"])
    output = runner.invoke(args=["tokens", "revoke", "Ærø-sync"]).output
    assert "401 within 5 seconds" in output and "at once" not in output
    app.config["SCIM_TOKEN_CACHE_SECONDS"] = 0
    runner.invoke(args=["tokens", "create", "--name", "b"])
    assert "401 at once" in runner.invoke(args=["tokens", "revoke", "b"]).output


def test_a_rotated_name_of_a_long_token_fits(admin_client):
    created = admin_client.post("/admin/tokens", data={"name": "ø" * 64, "days": "90"})
    assert created.status_code == 201
    form = page(admin_client.get("/admin/tokens/1/rotate"))
    name = re.search(r'name="name"[^>]*value="([^"]+)"', form) or re.search(
        r'value="([^"]+)"[^>]*name="name"', form)
    rotated = admin_client.post("/admin/tokens/1/rotate",
                                data={"name": name.group(1), "days": "90"})
    assert rotated.status_code == 201, page(rotated)
