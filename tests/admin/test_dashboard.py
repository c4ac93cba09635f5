"""The dashboard: tenant URL, token health, last SCIM request and change, counts."""

from datetime import timedelta

import pytest
from flask import Blueprint
from flask import url_for
from sqlalchemy import update

from models import ApiToken
from models import RequestLog
from models import db
from models import utcnow
from services import rules
from services import tokens
from services.actor import CLI
from services.readmodels import dashboard
from tests.admin.helpers import make_account
from tests.admin.helpers import page
from tests.admin.helpers import sign_in


def expire_in(name, delta):
    db.session.execute(update(ApiToken).where(ApiToken.name == name)
                       .values(expires_at=utcnow() + delta))
    db.session.commit()


def test_the_tenant_url_has_a_copy_button(admin_client):
    html = page(admin_client.get("/admin/"))
    assert '<code id="tenant-url" class="copy-value">http://localhost/scim/v2</code>' in html
    assert 'data-copy="tenant-url"' in html
    assert "<script" not in html.replace('<script src="/static/app.js" defer></script>', "")
    assert " onclick=" not in html and " style=" not in html


@pytest.mark.parametrize("setup, state", [
    ([], "danger"),
    ([("a", timedelta(days=90))], "ok"),
    ([("a", timedelta(days=14))], "warning"),
    ([("a", timedelta(days=15))], "ok"),
    ([("a", timedelta(seconds=-1))], "danger"),
    ([("a", timedelta(days=3)), ("b", timedelta(days=90))], "ok"),  # mid-rotation
])
def test_token_health(admin_client, setup, state):
    for name, delta in setup:
        tokens.issue(name, 90, CLI)
        expire_in(name, delta)
    health = dashboard.token_health(utcnow())
    assert health.state == state
    html = page(admin_client.get("/admin/"))
    assert f'class="token-state state-{state}"' in html
    if state == "danger":
        assert "No valid token." in html
    if state == "warning":
        assert "Expiring soon" in html


def test_revoked_tokens_do_not_count(admin_client):
    tokens.issue("a", 90, CLI)
    tokens.revoke("a", CLI)
    assert dashboard.token_health(utcnow()).active == 0


def test_last_scim_request_and_change(admin_client, scim, make_user):
    html = page(admin_client.get("/admin/"))
    assert html.count("None yet") == 2
    scim.get("Users?filter=userName%20eq%20%22nobody%22")
    html = page(admin_client.get("/admin/"))
    assert "GET /scim/v2/Users?filter=userName eq &#34;nobody&#34;" in html
    assert "test-token" in html
    make_user("ann@example.com")
    rules.save({"require_email": True}, CLI)  # not a SCIM change
    html = page(admin_client.get("/admin/"))
    assert "user.create · ann@example.com" in html
    assert "POST /scim/v2/Users" in html


def test_request_log_written_in_the_background_is_flushed_first(app, client, token):
    app.extensions["rollcall_request_log"].asynchronous = True
    client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {token}"})
    assert dashboard.summary().last_request.path == "/scim/v2/Users"
    app.extensions["rollcall_request_log"].asynchronous = False


def test_counts_and_traffic(admin_client, scim, make_user):
    rules.save({"seat_limit": 2}, CLI)
    make_user("a")
    make_user("b", active=False)
    make_user("c")
    make_user("d")  # beyond the limit: waiting
    scim.get("Users/nope")  # 404
    db.session.add(RequestLog(at=utcnow() - timedelta(hours=2), request_id="x", method="GET",
                              path="/scim/v2/Users", status=500, duration_ms=1))
    db.session.commit()
    summary = dashboard.summary()
    assert summary.users == {"active": 2, "inactive": 1, "waiting": 1, "hidden": 0}
    assert summary.cycle.requests == 5 and summary.cycle.errors == 1
    assert summary.day.requests == 6 and summary.day.errors == 2
    html = page(admin_client.get("/admin/"))
    assert '<span class="num">1</span> waiting for a seat' in html


def test_no_audit_log_link_without_the_audit_blueprint(app, admin_client, monkeypatch):
    monkeypatch.delitem(app.view_functions, "audit.index", raising=False)
    assert "Audit log" not in page(admin_client.get("/admin/"))


def test_audit_log_link_with_the_audit_blueprint(app, client):
    if "audit.index" not in app.view_functions:
        audit = Blueprint("audit", __name__, url_prefix="/admin/audit")
        audit.add_url_rule("/", "index", lambda: "audit")
        app.register_blueprint(audit)
    make_account("alice")
    sign_in(client, "alice")
    html = page(client.get("/admin/"))
    with app.test_request_context():
        assert f'<a href="{url_for("audit.index")}">Audit log</a>' in html
