"""Web security of the admin UI, tested generically over app.url_map.

Every state-changing route refuses a POST without a CSRF token; every HTML page carries
the security headers; the session cookie has its flags and expires; sign-in never
redirects off the host. Routes added later are covered without editing these tests.
"""

import re
import time

import pytest
from argon2 import PasswordHasher

from services import admins
from services import custom_fields
from services import tokens
from services.actor import CLI
from tests.hardening.support import ROOT
from tests.hardening.support import FreshClient
from tests.hardening.support import table_rows
from tests.hardening.support import user_body

PASSWORD = "a long enough passphrase"
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
CSP = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
# Fields a writing form might want: if a route lacked CSRF, these would make it act.
FORM = {"name": "x-new", "days": "30", "description": "changed", "type": "string",
        "username": "mallory", "password": PASSWORD, "current": PASSWORD,
        "new": "another long passphrase", "confirm": "another long passphrase",
        "matching_attribute": "email", "delete_mode": "deactivate",
        "unknown_attributes": "reject", "seat_limit": "1", "role": "admin"}



@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch):
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(admins, "_hasher", cheap)
    monkeypatch.setattr(admins, "_DUMMY", cheap.hash("dummy password"))


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


@pytest.fixture
def fresh(app):
    app.test_client_class = FreshClient
    return app.test_client()


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', html).group(1)


def sign_in(client, username="alice", password=PASSWORD, next_url=None):
    login = "/auth/login" + (f"?next={next_url}" if next_url is not None else "")
    html = client.get(login).get_data(as_text=True)
    data = {"username": username, "password": password, "csrf_token": csrf_token(html)}
    if next_url is not None:
        data["next"] = next_url
    return client.post(login, data=data)


@pytest.fixture
def admin(app, fresh):
    admins.create("alice", PASSWORD, "admin", CLI)
    assert sign_in(fresh).status_code == 302
    return fresh


@pytest.fixture
def objects(app, scim):
    """One of everything a URL can name, so routes reach their real views."""
    token_id = tokens.issue("existing", 30, CLI)[0].id
    custom_fields.define("costCode", "string", False, "", CLI)
    user = scim.post("Users", user_body("bob@example.com")).get_json()
    group = scim.post("Groups", {"displayName": "Staff"}).get_json()
    return {"token_id": token_id, "name": "costCode", "user_id": user["id"],
            "group_id": group["id"], "filename": "style.css"}


def admin_rules(app, methods):
    """(rule, method) of every non-SCIM route that accepts one of `methods`."""
    for rule in app.url_map.iter_rules():
        # SCIM and the RFC 8936 poll endpoint authenticate each request by bearer token.
        if rule.rule.startswith(("/scim/", "/events/poll/")) or rule.endpoint == "static":
            continue
        for method in sorted(rule.methods & methods):
            yield rule, method


def url_for_rule(rule, objects) -> str:
    url = rule.rule
    for name in rule.arguments:
        url = re.sub(rf"<(?:[^:>]+:)?{name}>", str(objects.get(name, "1")), url)
    return url


def test_every_state_changing_route_refuses_a_request_without_csrf_token(app, admin, fresh,
                                                                         objects):
    checked = []
    before = table_rows()
    for rule, method in admin_rules(app, STATE_CHANGING):
        url = url_for_rule(rule, objects)
        response = admin.open(url, method=method, data=FORM)
        assert response.status_code == 400, (method, url, response.status_code)
        assert "CSRF" in response.get_data(as_text=True)
        checked.append((method, url))
    assert table_rows() == before
    assert ("POST", "/auth/logout") in checked and len(checked) >= 5
    assert admin.get("/admin/").status_code == 200  # still signed in: logout was refused too


def test_anonymous_state_changing_requests_are_refused(app, objects):
    client = app.test_client()
    before = table_rows()
    for rule, method in admin_rules(app, STATE_CHANGING):
        url = url_for_rule(rule, objects)
        response = client.open(url, method=method, data=FORM)
        refused = response.status_code == 400 or (
            response.status_code == 302 and response.location.startswith("/auth/login"))
        assert refused, (method, url, response.status_code)
    assert table_rows() == before


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "/\\evil.example", "\\\\evil.example",
    "https:evil.example", "javascript:alert(1)", " //evil.example", "/%2F/evil.example",
    "http://localhost@evil.example/",
])
def test_sign_in_never_redirects_off_the_host(app, fresh, target):
    admins.create("alice", PASSWORD, "admin", CLI)
    response = sign_in(fresh, next_url=target)
    assert response.status_code == 302
    location = response.location
    assert location.startswith("/") and not location.startswith(("//", "/\\")), location
    assert "evil.example" not in location.split("?")[0].lstrip("/").split("/")[0]
    # Signed in already, a GET of the login page must not bounce off the host either.
    again = fresh.get("/auth/login", query_string={"next": target})
    assert again.status_code == 302 and again.location.startswith("/")
    assert not again.location.startswith(("//", "/\\"))


def test_sign_in_keeps_a_local_next(app, fresh):
    admins.create("alice", PASSWORD, "admin", CLI)
    assert sign_in(fresh, next_url="/admin/tokens").location == "/admin/tokens"


def get_pages(app, client, objects):
    for rule, _ in admin_rules(app, {"GET"}):
        yield client.get(url_for_rule(rule, objects))
    yield client.get("/no/such/page")
    yield client.get("/auth/login")


def test_every_html_page_has_the_security_headers(app, admin, objects):
    pages = [r for r in get_pages(app, admin, objects) if r.mimetype == "text/html"]
    assert len(pages) >= 10
    for response in pages:
        headers = response.headers
        assert headers["Content-Security-Policy"] == CSP, response.request.path
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["Cache-Control"] == "no-store"
        assert "Strict-Transport-Security" not in headers  # not promised without HTTPS


def test_scim_responses_are_not_sniffable(scim):
    response = scim.get("Users")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == CSP


def test_templates_have_no_inline_script_or_style():
    """The strict CSP (no 'unsafe-inline') would silently break them in a browser."""
    for path in (ROOT / "templates").rglob("*.html"):
        html = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert not re.search(r"<style\b|\sstyle=|\son[a-z]+=|javascript:", html, re.I), path


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True, "SESSION_COOKIE_SECURE": True}])
def test_behind_https_the_cookie_is_secure_and_hsts_is_sent(app, fresh):
    admins.create("alice", PASSWORD, "admin", CLI)
    response = sign_in(fresh)
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_without_https_the_cookie_is_still_http_only_and_same_site(app, fresh):
    admins.create("alice", PASSWORD, "admin", CLI)
    cookie = sign_in(fresh).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True,
                                         "PERMANENT_SESSION_LIFETIME": 1}])
def test_the_session_expires(app, admin):
    assert admin.get("/admin/").status_code == 200
    time.sleep(2.1)  # signed-cookie timestamps have one-second resolution
    response = admin.get("/admin/")
    assert response.status_code == 302 and response.location.startswith("/auth/login")


def test_the_password_policy_is_enforced(app):
    for weak in ("short", "alice", ""):
        with pytest.raises(admins.AdminError):
            admins.create("alice", weak, "admin", CLI)


def test_scim_requests_get_no_session_and_admin_sessions_still_work(app, fresh, scim,
                                                                    monkeypatch):
    """security.CookieSessions skips the signer without a cookie; with one, it still checks it."""
    interface, signers = app.session_interface, []
    real = interface.get_signing_serializer
    monkeypatch.setattr(interface, "get_signing_serializer",
                        lambda flask_app: signers.append(1) or real(flask_app))
    created = scim.post("Users", json=user_body("søren.ørsted@example.com"))
    assert created.status_code == 201
    assert "Set-Cookie" not in created.headers and signers == []
    admins.create("alice", PASSWORD, "admin", CLI)
    sign_in(fresh)
    assert fresh.get("/admin/").status_code == 200
    cookie = fresh.get_cookie("session")
    fresh.set_cookie("session", cookie.value[:-2] + ("AA" if cookie.value[-2:] != "AA" else "BB"))
    response = fresh.get("/admin/")
    assert response.status_code == 302 and response.location.startswith("/auth/login")
