"""Browser journey: an auditor filters to one user's changes, opens a diff, sees the charts.

Screenshots go to /tmp/rollcall-shots/audit-*.png.
"""

import os
import shutil
import threading
from datetime import timedelta

import pytest

pytest.importorskip("playwright")

from playwright.sync_api import expect  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from app import create_app  # noqa: E402
from models import db  # noqa: E402
from services import admins  # noqa: E402
from services.audit import chain as audit_chain  # noqa: E402
from services import tokens  # noqa: E402
from services.actor import CLI  # noqa: E402

pytestmark = pytest.mark.browser

SHOTS = "/tmp/rollcall-shots"
PASSWORD = "correct horse battery staple"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.fixture
def audit_server(tmp_path):
    """The app on a free port in a thread, with a file database both threads can reach."""
    app = create_app({"TESTING": True, "SECRET_KEY": "browser-test",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/browser.sqlite",
                      "REQUEST_LOG_ASYNC": False, "RATELIMIT_ENABLED": False})
    with app.app_context():
        db.create_all()
        _seed(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.engine.dispose()


def _seed(app):
    admins.create("olga", PASSWORD, "auditor", CLI)
    _, secret = tokens.issue("entra", 90, CLI)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/scim+json"}

    def post(name, **extra):
        body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name,
                "emails": [{"value": name, "type": "work", "primary": True}], **extra}
        return client.post("/scim/v2/Users", json=body, headers=headers).get_json()

    alice = post("alice@example.com", title="Engineer", displayName="Alice Smith")
    for n in range(12):
        post(f"user{n}@example.com", title="Staff")
    client.patch(f"/scim/v2/Users/{alice['id']}", headers=headers, json={
        "schemas": [PATCH], "Operations": [
            {"op": "replace", "path": "title", "value": "Engineering Manager"},
            {"op": "replace", "path": "displayName", "value": "Alice Jones"}]})
    for n in range(20):
        client.get(f'/scim/v2/Users?filter=userName eq "user{n}@example.com"', headers=headers)
    client.get("/scim/v2/Users/nobody", headers=headers)
    client.get("/scim/v2/Users", headers={"Authorization": "Bearer wrong"})
    _earlier_traffic(client, headers)
    audit_chain.seal(db.engine)


def _earlier_traffic(client, headers):
    """Reads over the past days, the request log's clock moved back hour by hour."""
    import blueprints.scim

    now = blueprints.scim.utcnow
    try:
        for hours_ago in range(1, 160, 3):
            blueprints.scim.utcnow = lambda h=hours_ago: now() - timedelta(hours=h)
            for n in range(hours_ago % 7 + 2):
                client.get(f"/scim/v2/Users/missing-{n}" if n == 3 else "/scim/v2/Users?count=1",
                           headers=headers)
    finally:
        blueprints.scim.utcnow = now


@pytest.fixture
def page():
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(chromium):
        pytest.skip("Debian's chromium is not installed")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.csp_errors = []
        page.on("console", lambda m: m.type == "error" and page.csp_errors.append(m.text))
        yield page
        browser.close()


def sign_in(page, base):
    page.goto(f"{base}/auth/login")
    page.get_by_label("Username").fill("olga")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/admin/**")


def test_auditor_filters_to_one_users_changes_and_opens_the_diff(audit_server, page):
    os.makedirs(SHOTS, exist_ok=True)
    sign_in(page, audit_server)
    page.get_by_role("link", name="Audit log").first.click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    page.screenshot(path=f"{SHOTS}/audit-requests.png", full_page=True)

    page.get_by_role("navigation", name="Audit log").get_by_role("link", name="Changes").click()
    page.get_by_label("Resource", exact=True).fill("alice@example.com")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table.log tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("user.patch")
    page.screenshot(path=f"{SHOTS}/audit-changes-filtered.png", full_page=True)

    rows.first.get_by_role("link", name="2 attributes").click()
    diff = page.locator("table.diff")
    expect(diff).to_contain_text("Engineering Manager")
    expect(diff.locator("tr", has_text="title").locator("td.before")).to_have_text("Engineer")
    expect(diff.locator("tr", has_text="displayName").locator("td.after")).to_have_text(
        "Alice Jones")
    page.screenshot(path=f"{SHOTS}/audit-diff.png", full_page=True)
    assert page.csp_errors == []


def test_a_write_shows_the_body_it_sent_indented(audit_server, page):
    # Bodies are kept as Entra sent them (services/audit/bodies.py) and indented when shown.
    os.makedirs(SHOTS, exist_ok=True)
    sign_in(page, audit_server)
    page.goto(f"{audit_server}/admin/audit?method=PATCH")
    page.locator("table.log tbody tr", has_text="PATCH").first.get_by_role("link").first.click()
    body = page.locator("#request-body")
    expect(body).to_contain_text('"op": "replace"')
    assert '\n  {\n   "op"' in body.inner_text()  # one space a level
    page.screenshot(path=f"{SHOTS}/audit-request-body.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    expect(body).to_be_visible()
    page.screenshot(path=f"{SHOTS}/audit-request-body-phone.png", full_page=True)
    assert page.csp_errors == []


def test_the_charts_render(audit_server, page):
    os.makedirs(SHOTS, exist_ok=True)
    sign_in(page, audit_server)
    page.goto(f"{audit_server}/admin/audit/charts")
    day = page.locator("#chart-24h svg")
    expect(day).to_be_visible()
    assert day.locator("rect.s2").count() >= 1 and day.locator("rect.s4").count() >= 1
    box = day.bounding_box()
    assert box["width"] > 600 and box["height"] > 100
    # The stylesheet loaded under the CSP: bars are coloured, not the default black.
    fill = day.locator("rect.s2").first.evaluate("e => getComputedStyle(e).fill")
    assert fill == "rgb(22, 163, 74)"
    expect(page.locator("#chart-7d svg")).to_be_visible()
    page.screenshot(path=f"{SHOTS}/audit-charts.png", full_page=True)
    assert page.csp_errors == []
