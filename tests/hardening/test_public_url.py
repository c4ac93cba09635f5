"""PUBLIC_URL: links follow the operator's setting, never a forged Host header."""

import pytest

from app import create_app
from tests.admin.helpers import PASSWORD
from tests.admin.helpers import FreshClient
from tests.admin.helpers import cheap_hashes
from tests.admin.helpers import make_account
from tests.hardening.support import new_token
from tests.hardening.support import user_body

PUBLIC = "https://rollcall.example.com/idp"
EVIL = {"Host": "evil.example"}


@pytest.fixture(autouse=True)
def _cheap(monkeypatch):
    cheap_hashes(monkeypatch)


def admin_page(app, path):
    make_account("Zoë")
    app.test_client_class = FreshClient
    client = app.test_client()
    # Signed in through the forged host too, so the browser sends its cookie there.
    client.post("/auth/login", data={"username": "Zoë", "password": PASSWORD}, headers=EVIL)
    return client.get(path, headers=EVIL).get_data(as_text=True)


@pytest.mark.parametrize("app_config", [{"PUBLIC_URL": PUBLIC + "/"}])
def test_links_come_from_public_url_whatever_the_host(app, client):
    headers = {"Authorization": f"Bearer {new_token()}", **EVIL}
    created = client.post("/scim/v2/Users", headers=headers, json=user_body("Ærø@example.com"))
    assert created.status_code == 201
    location = f"{PUBLIC}/scim/v2/Users/{created.get_json()['id']}"
    assert created.headers["Location"] == location
    assert created.get_json()["meta"]["location"] == location
    listed = client.get("/scim/v2/Users", headers=headers).get_json()
    assert listed["Resources"][0]["meta"]["location"] == location
    group = client.post("/scim/v2/Groups", headers=headers, json={"displayName": "Ünïon"})
    assert group.headers["Location"].startswith(f"{PUBLIC}/scim/v2/Groups/")
    dashboard = admin_page(app, "/admin/")
    assert f"{PUBLIC}/scim/v2" in dashboard and "evil.example" not in dashboard
    assert 'id="public-url-hint"' not in dashboard


@pytest.mark.parametrize("app_config", [{"PUBLIC_URL": PUBLIC}])
def test_the_setup_guide_uses_public_url(app):
    page = admin_page(app, "/admin/setup")
    assert f"{PUBLIC}/scim/v2" in page and "evil.example" not in page


def test_unset_it_follows_the_request_and_the_dashboard_suggests_it(app, client):
    headers = {"Authorization": f"Bearer {new_token()}"}
    created = client.post("/scim/v2/Users", headers=headers, json=user_body("Ærø@example.com"))
    assert created.headers["Location"].startswith("http://localhost/scim/v2/Users/")
    dashboard = admin_page(app, "/admin/")
    assert 'id="public-url-hint"' in dashboard and "http://evil.example/scim/v2" in dashboard


@pytest.mark.parametrize("url", ["rollcall.example.com", "ftp://x.example", "https://x/?a=1"])
def test_a_malformed_public_url_stops_the_start(tmp_path, url):
    with pytest.raises(ValueError, match="PUBLIC_URL"):
        create_app({"PUBLIC_URL": url, "SECRET_KEY": "k",
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite"})
