"""Auditors read; every write route refuses them with 403 server-side and changes nothing."""

import re

import pytest

from services import custom_fields
from services import directories
from services import tokens
from services.actor import CLI
from services.events import subscriptions
from tests.admin.helpers import counts
from tests.admin.helpers import page

# Per-person routes under /auth that every signed-in role may post to.
SELF_SERVICE = {"auth.login", "auth.logout", "auth.password", "auth.sign_out_everywhere"}
READ_PAGES = ["/admin/", "/admin/directory", "/admin/directory/groups",
              "/admin/directory/breakdown", "/admin/setup", "/admin/tokens", "/admin/fields",
              "/admin/settings", "/admin/directory/users.csv", "/admin/mappings",
              "/admin/events", "/admin/directories", "/admin/directories/compare",
              "/admin/directories/compare?a=staging&b=default", "/admin/orphans"]
# Running a chain verification only reads the audit trail (and records the result):
# auditors may, by design (issue 14).
AUDITOR_POSTS = {"/admin/health/verify"}
WRITE_LINKS = re.compile(r'href="[^"]*/(revoke|rotate|retire|edit)"')


@pytest.fixture
def fixtures(app):
    token, _ = tokens.issue("entra", 90, CLI)
    staging = directories.create("staging", "Staging", True, CLI)
    custom_fields.define("costCode", "string", False, "", CLI)
    sub, _ = subscriptions.subscribe(CLI, app.config["SECRET_KEY"], "set", "https://siem.example/")
    return {"token_id": token.id, "name": "costCode", "kind": "email", "account_id": 1,
            "action": "disable", "subscription_id": sub.id, "delivery_id": 1,
            "slug": staging.slug}


def write_rules(app):
    return [r for r in app.url_map.iter_rules()
            if "POST" in r.methods and r.rule.startswith(("/admin", "/auth"))]


def test_the_auth_write_routes_are_self_service_only(app):
    auth = {r.endpoint for r in write_rules(app) if r.rule.startswith("/auth")}
    assert auth == SELF_SERVICE


def test_every_admin_write_route_refuses_an_auditor(app, auditor_client, fixtures):
    rules = [r for r in write_rules(app) if r.rule.startswith("/admin")
             and r.rule not in AUDITOR_POSTS]
    assert len(rules) >= 7
    before = counts()
    for rule in rules:
        url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(fixtures[m.group(1)]), rule.rule)
        data = {"name": "x", "days": "5", "description": "changed", "type": "string",
                "matching_attribute": "email", "delete_mode": "deactivate",
                "unknown_attributes": "reject", "seat_limit": "1"}
        response = auditor_client.post(url, data=data)
        assert response.status_code == 403, rule.rule
        if "GET" in rule.methods:  # confirmation and edit pages are admin-only too
            assert auditor_client.get(url).status_code == 403, rule.rule
    assert counts() == before
    assert [t.revoked_at for t in tokens.all_tokens()] == [None]


def test_an_admin_reaches_the_same_routes(app, admin_client, fixtures):
    response = admin_client.get(f"/admin/tokens/{fixtures['token_id']}/revoke")
    assert response.status_code == 200


@pytest.mark.parametrize("url", READ_PAGES)
def test_an_auditor_reads_without_write_controls(auditor_client, fixtures, url):
    response = auditor_client.get(url)
    assert response.status_code == 200
    html = page(response)
    forms = re.findall(r'<form method="post" action="([^"]+)"', html)
    forms = [f for f in forms if f not in AUDITOR_POSTS]
    assert forms in ([], ["/auth/logout"])  # the CSV is not a page
    assert not WRITE_LINKS.search(html)


def test_an_admin_sees_the_write_controls(admin_client, fixtures):
    assert "Generate token" in page(admin_client.get("/admin/tokens"))
    assert WRITE_LINKS.search(page(admin_client.get("/admin/tokens")))
    assert WRITE_LINKS.search(page(admin_client.get("/admin/fields")))
    assert "Declare field" in page(admin_client.get("/admin/fields"))
    assert "Save rules" in page(admin_client.get("/admin/settings"))


def test_auditors_may_change_their_own_password(auditor_client):
    response = auditor_client.post("/auth/password", data={
        "current": "correct horse battery", "new": "a new passphrase",
        "confirm": "a new passphrase"})
    assert response.status_code == 302
