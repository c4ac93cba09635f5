"""Every admin and audit page at 1366x900 and 390x844, with long and non-ASCII data.

A page fails when it scrolls sideways outside a scroll container that says so (a region
with a label), or when axe-core (vendored in tests/browser/vendor/, a test asset never
served) finds a violation. Screenshots go to /tmp/rollcall-shots/layout-*.png: look at them.
"""

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from services import admins
from services import custom_fields
from services import tokens
from services.actor import CLI

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/rollcall-shots")
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
PASSWORD = "correct horse battery"
LONG_NAME = "Łukasz.Żółćwiński-Ørnulf.Østergaard-ßtraße@ｅｘａｍｐｌｅ.com"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

# Elements wider than their container, outside a labelled scroll region, seen by the page.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  const allowed = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const style = getComputedStyle(p);
      if (style.clipPath !== 'none') { return true; }  // visually hidden (a stacked table's head)
      if (['auto', 'scroll'].includes(style.overflowX)) {
        return p.getAttribute('role') === 'region' && !!p.getAttribute('aria-label');
      }
    }
    return false;
  };
  document.querySelectorAll('body *').forEach((el) => {
    const box = el.getBoundingClientRect();
    if (box.width && (box.right > width + 1 || box.left < -1) && !allowed(el)
        && getComputedStyle(el).position !== 'absolute') {
      out.push(el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') + ' '
               + Math.round(box.right) + ': ' + (el.textContent || '').trim().slice(0, 60));
    }
  });
  return {scroll: document.documentElement.scrollWidth, width, out: out.slice(0, 8)};
}"""


def _seed(server) -> dict:
    """Users with long and non-ASCII names, a custom URN attribute, a big group, traffic."""
    app = server.app
    with app.app_context():
        admins.create("admin", PASSWORD, "admin", CLI)
        custom_fields.define("costCode", "string", False, "Ein Kostenträger für Ærø", CLI)
        custom_fields.define("badgeColour", "string", True, "", CLI)
        tokens.issue("entra-production-" + "ørnulf-" * 6, 90, CLI)
        _, secret = tokens.issue("entra", 90, CLI)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/scim+json"}
    urn = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"

    def post(name, **extra):
        body = {"schemas": [USER, ENTERPRISE, urn], "userName": name, "active": True,
                "emails": [{"value": name, "type": "work", "primary": True}], **extra}
        return client.post("/scim/v2/Users", json=body, headers=headers).get_json()

    long_user = post(LONG_NAME, displayName="Łukasz Żółćwiński-Østergaard von und zu Ærøskøbing",
                     title="Ｓｅｎｉｏｒ Principal Staff Engineer, Identity & Access "
                           "Ｍａｎａｇｅｍｅｎｔ",
                     **{ENTERPRISE: {"department": "Forschung und Entwicklung – Ærø İstanbul",
                                     "division": "ÉÉÉ-" * 10, "costCenter": "ß" * 40},
                        urn: {"costCode": "Ø" * 70}})
    ids = [post(f"user{n}.ølsen@example.com", displayName=f"Øle {n}")["id"] for n in range(30)]
    group = client.post("/scim/v2/Groups", headers=headers, json={
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "Ｅｎｇｉｎｅｅｒｉｎｇ – Forschung und Entwicklung, "
                       "alle Standorte (DE/AT/CH)",
        "members": [{"value": i} for i in ids]}).get_json()
    client.patch(f"/scim/v2/Groups/{group['id']}", headers=headers, json={
        "schemas": [PATCH], "Operations": [
            {"op": "add", "path": "members", "value": [{"value": long_user["id"]}]},
            {"op": "remove", "path": f'members[value eq "{ids[0]}"]'}]})
    client.patch(f"/scim/v2/Users/{long_user['id']}", headers=headers, json={
        "schemas": [PATCH], "Operations": [
            {"op": "replace", "path": f"{urn}:costCode", "value": "Ö" * 64},
            {"op": "replace", "path": "title", "value": "Ｄｉｒｅｃｔｏｒ"}]})
    client.get(f'/scim/v2/Users?filter=userName eq "{LONG_NAME}"', headers=headers)
    client.get("/scim/v2/Users/" + "x" * 300, headers=headers)
    with app.app_context():
        app.extensions["rollcall_request_log"].flush()
    return {"user": long_user["id"], "group": group["id"]}


def _pages(ids) -> list[tuple[str, str]]:
    return [
        ("dashboard", "/admin/"), ("setup", "/admin/setup"),
        ("directory", "/admin/directory"), ("directory-search", "/admin/directory?q=ł"),
        ("user", f"/admin/directory/users/{ids['user']}"),
        ("groups", "/admin/directory/groups"), ("group", f"/admin/directory/groups/{ids['group']}"),
        ("breakdown", "/admin/directory/breakdown"), ("fields", "/admin/fields"),
        ("field-edit", "/admin/fields/costCode/edit"), ("settings", "/admin/settings"),
        ("tokens", "/admin/tokens"), ("token-rotate", "/admin/tokens/1/rotate"),
        ("token-revoke", "/admin/tokens/1/revoke"), ("password", "/auth/password"),
        ("audit", "/admin/audit/"), ("audit-changes", "/admin/audit/changes"),
        ("audit-charts", "/admin/audit/charts"), ("audit-chain", "/admin/audit/chain"),
        ("field-retire", "/admin/fields/badgeColour/retire"), ("mappings", "/admin/mappings"),
        ("health", "/admin/health/"), ("health-alerts", "/admin/health/alerts"),
        ("health-quirks", "/admin/health/quirks"), ("not-found", "/admin/nope"),
    ]


def _detail_pages(page, server) -> list[tuple[str, str]]:
    """The newest request and the newest group change, found through the viewer's own links."""
    out = []
    page.goto(server("/admin/audit/?method=PATCH"))
    out.append(("audit-request", page.locator("table.log tbody a").first.get_attribute("href")))
    page.goto(server("/admin/audit/changes?action=group."))
    out.append(("audit-change", page.locator("table.log tbody a").first.get_attribute("href")))
    return out


def _check(page, name: str, url: str) -> list[str]:
    """Load the page afresh at each size (app.js decides at load what a phone sees)."""
    problems = []
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.goto(url)
        page.screenshot(path=str(SHOTS / f"layout-{name}-{size}.png"), full_page=True)
        page.screenshot(path=str(SHOTS / f"layout-{name}-{size}-top.png"))
        found = page.evaluate(OVERFLOW)
        if found["scroll"] > found["width"] or found["out"]:
            problems.append(f"{name} at {size}: {found}")
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => (await axe.run(document)).violations.map("
                           "v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target).join(' | '))")
    problems += [f"{name} axe {v}" for v in result]
    return problems


def test_every_page_fits_both_widths_without_axe_violations(page, live_server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    ids = _seed(live_server)
    page.goto(live_server("/auth/login"))
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    problems = []
    for name, path in _pages(ids) + _detail_pages(page, live_server):
        problems += _check(page, name, live_server(path) if path.startswith("/") else path)
    assert problems == [], json.dumps(problems, indent=1, ensure_ascii=False)
    # The audit filters fold away on a phone and stand open on a wider screen.
    for size, is_open in (("phone", False), ("desktop", True)):
        page.set_viewport_size(SIZES[size])
        page.goto(live_server("/admin/audit/"))
        assert page.locator("details.filters").evaluate("d => d.open") is is_open, size
