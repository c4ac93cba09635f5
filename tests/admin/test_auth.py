"""Sign-in, sign-out, the forced password change and redirects after sign-in."""

import pytest
from sqlalchemy import select

from models import AdminUser
from models import ChangeRecord
from models import db
from services import admins
from services.actor import CLI
from tests.admin.helpers import PASSWORD
from tests.admin.helpers import make_account
from tests.admin.helpers import page
from tests.admin.helpers import sign_in


def records(action):
    stmt = select(ChangeRecord).where(ChangeRecord.action == action).order_by(ChangeRecord.id)
    return list(db.session.execute(stmt).scalars())


def test_login_page_has_labelled_fields(client):
    html = page(client.get("/auth/login"))
    assert '<label for="username">Username</label>' in html
    assert '<label for="password">Password</label>' in html
    assert 'autocomplete="current-password"' in html
    assert '<main id="main"' in html


def test_admin_pages_need_a_sign_in(client):
    response = client.get("/admin/tokens")
    assert response.status_code == 302
    assert response.location.startswith("/auth/login?next=")
    assert client.get("/").location == "/admin/"


def test_sign_in_records_and_opens_the_dashboard(app, client):
    make_account("alice")
    response = sign_in(client, "alice", follow=True)
    assert response.status_code == 200
    assert response.request.path == "/admin/"
    assert "Dashboard" in page(response)
    user = db.session.execute(select(AdminUser)).scalar_one()
    assert user.last_login_at is not None
    [record] = records("admin.sign_in")
    assert (record.actor_kind, record.actor) == ("admin", "alice")
    assert record.changes["address"] == [None, "127.0.0.1"]


def test_the_session_is_permanent(app, client):
    make_account("alice")
    response = sign_in(client, "alice")
    cookie = response.headers["Set-Cookie"]
    assert "Expires=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_username_is_case_insensitive(app, client):
    make_account("Alice")
    assert sign_in(client, "alice").status_code == 302


@pytest.mark.parametrize("username, password", [("alice", "wrong password!"),
                                                ("nobody", PASSWORD)])
def test_a_failed_sign_in_says_so_and_is_recorded(app, client, username, password):
    make_account("alice")
    response = sign_in(client, username, password)
    assert response.status_code == 200
    assert "The username or password is not right." in page(response)
    assert client.get("/admin/").status_code == 302  # still signed out
    [record] = records("admin.sign_in_failed")
    # A name that matches no account may be a password typed into the wrong box.
    assert record.resource_name == (username if username == "alice" else admins.UNKNOWN_ACCOUNT)
    assert record.actor_kind == ("admin" if username == "alice" else "anonymous")


def test_failures_are_counted_on_the_account_until_a_sign_in(app, client):
    make_account("alice")
    sign_in(client, "alice", "wrong password!")
    sign_in(client, "alice", "wrong password!")
    user = db.session.execute(select(AdminUser)).scalar_one()
    assert user.failed_logins == 2
    sign_in(client, "alice")
    user = db.session.execute(select(AdminUser)).scalar_one()
    assert user.failed_logins == 0
    assert records("admin.sign_in")[0].changes["failedSinceLastSignIn"] == [2, 0]


@pytest.mark.parametrize("form, message", [
    ({"username": "", "password": PASSWORD}, "Enter your username."),
    ({"username": "alice", "password": ""}, "Enter your password."),
    ({"username": "a" * 101, "password": PASSWORD}, "Field cannot be longer than 100 characters."),
])
def test_login_form_validation(app, client, form, message):
    response = client.post("/auth/login", data=form)
    assert response.status_code == 400
    assert message in page(response)


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "///evil.example", "/\\evil.example",
    "\\\\evil.example", "javascript:alert(1)", "http:/evil.example", " //evil.example",
    "/\t/evil.example", "evil.example", "",
])
def test_next_never_leaves_this_host(app, client, target):
    make_account("alice")
    response = sign_in(client, "alice", next=target)
    assert response.status_code == 302
    assert response.location == "/admin/"


def test_next_keeps_a_path_on_this_host(app, client):
    make_account("alice")
    first = client.get("/admin/settings")
    assert "next=%2Fadmin%2Fsettings" in first.location
    html = page(client.get(first.location))
    assert 'value="/admin/settings"' in html
    response = sign_in(client, "alice", next="/admin/settings?x=1")
    assert response.location == "/admin/settings?x=1"


def test_logout_is_a_post(admin_client):
    assert admin_client.get("/auth/logout").status_code == 405
    response = admin_client.post("/auth/logout")
    assert response.location == "/auth/login"
    assert admin_client.get("/admin/").status_code == 302


def test_signed_in_visit_to_login_goes_to_dashboard(admin_client):
    assert admin_client.get("/auth/login").location == "/admin/"


def test_one_time_password_must_be_changed_first(app, client):
    password = admins.ensure_first(CLI)
    response = sign_in(client, "admin", password)
    assert response.location == "/auth/password"
    assert client.get("/admin/").location == "/auth/password"
    assert client.get("/admin/tokens").location == "/auth/password"
    assert client.post("/admin/tokens", data={"name": "x", "days": 1}).location == "/auth/password"
    changed = client.post("/auth/password", data={"current": password, "new": "a new passphrase",
                                                  "confirm": "a new passphrase"})
    assert changed.location == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert records("admin.password_change")
    client.post("/auth/logout")
    assert sign_in(client, "admin", password).status_code == 200  # the old one is gone
    assert sign_in(client, "admin", "a new passphrase").location == "/admin/"


@pytest.mark.parametrize("form, message", [
    ({"current": "wrong password!", "new": "a new passphrase", "confirm": "a new passphrase"},
     "The current password is not right."),
    ({"current": PASSWORD, "new": "short", "confirm": "short"},
     "Use 12 to 1024 characters."),
    ({"current": PASSWORD, "new": "a new passphrase", "confirm": "another phrase!"},
     "The passwords differ."),
    ({"current": PASSWORD, "new": PASSWORD, "confirm": PASSWORD},
     "Choose a password different from the current one."),
    ({"current": PASSWORD, "new": "alice" + " " * 10, "confirm": "alice" + " " * 10},
     "The password must not be the username."),
    ({"current": "", "new": "", "confirm": ""}, "Enter your current password."),
])
def test_password_form_validation(admin_client, form, message):
    response = admin_client.post("/auth/password", data=form)
    assert response.status_code == 400
    assert message in page(response)
    assert not records("admin.password_change")


def test_password_page_needs_a_sign_in(client):
    assert client.get("/auth/password").location.startswith("/auth/login")
