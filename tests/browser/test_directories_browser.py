"""Several directories in a real browser: the switcher, the staging banner, the new pages.

Each page is checked at 1366 and 390 px for sideways scrolling and by axe-core (as
test_layouts.py does); screenshots go to /tmp/rollcall-shots/layout-dir-*.png.
"""

import json
import time

import pytest
from playwright.sync_api import expect

from services import admins
from services import directories
from services import tokens
from services.actor import CLI
from services.context import in_directory
from tests.browser.test_layouts import PASSWORD
from tests.browser.test_layouts import SHOTS
from tests.browser.test_layouts import _check

pytestmark = pytest.mark.browser

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTRA = "Azure AD SCIM Client"
LONG = "Żółćwiński-Østergaard.ßtraße-verlängert@ｅｘａｍｐｌｅ.com"


def _seed(server, full_cycle: bool = False) -> None:
    """Production and a staging directory, provisioned by Entra with a few differences."""
    app = server.app
    with app.app_context():
        admins.create("admin", PASSWORD, "admin", CLI)
        _, prod = tokens.issue("entra-produksjon", 90, CLI)
        staging = directories.create("entra-staging", "Entra prøvemiljø – Ærøskøbing", True, CLI)
        with in_directory(staging.id):
            _, stage = tokens.issue("entra-prøve", 90, CLI)
    client = app.test_client()

    def post(secret, prefix, name, **extra):
        headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/scim+json",
                   "User-Agent": ENTRA}
        client.get(f'{prefix}/Users?filter=userName eq "{name}"', headers=headers)
        body = {"schemas": [USER], "userName": name, "active": True,
                "emails": [{"value": name, "type": "work"}], **extra}
        return client.post(f"{prefix}/Users", json=body, headers=headers).get_json()

    for n in range(6):
        post(prod, "/scim/v2", f"person{n}.ølsen@example.com", title="Ingeniør")
        post(stage, "/scim/v2/entra-staging", f"PERSON{n}.ØLSEN@example.com",
             title="Ｓｅｎｉｏｒ Principal Staff Engineer, Identity & Access Management")
    post(prod, "/scim/v2", LONG, displayName="Łukasz Żółćwiński-Østergaard von Ærøskøbing")
    post(stage, "/scim/v2/entra-staging", "bare.i.staging@example.com")
    post(stage, "/scim/v2/entra-staging", LONG, displayName="Łukasz Żółćwiński-Østergaard")
    if full_cycle:  # a later cycle reads every staging user but the long-named one
        app.config["OPS_CYCLE_GAP_MINUTES"] = 1 / 60
        time.sleep(1.5)
        headers = {"Authorization": f"Bearer {stage}", "User-Agent": ENTRA}
        for name in [f"PERSON{n}.ØLSEN@example.com" for n in range(6)] + [
                "bare.i.staging@example.com"]:
            client.get(f'/scim/v2/entra-staging/Users?filter=userName eq "{name}"',
                       headers=headers)
    with app.app_context():
        app.extensions["rollcall_request_log"].flush()


def _sign_in(page, server):
    page.goto(server("/auth/login"))
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def test_the_directory_pages_fit_both_widths_without_axe_violations(page, live_server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    _seed(live_server, full_cycle=True)
    _sign_in(page, live_server)
    pages = [
        ("dir-dashboard", "/admin/?directory=default"),
        ("dir-directories", "/admin/directories"),
        ("dir-compare", "/admin/directories/compare?a=entra-staging&b=default"),
        ("dir-compare-only", "/admin/directories/compare?a=entra-staging&b=default"
                             "&show=users-only-b"),
        ("dir-rename", "/admin/directories/entra-staging/rename"),
        ("dir-delete", "/admin/directories/entra-staging/delete"),
        ("dir-orphans", "/admin/orphans"),
        ("dir-staging-dashboard", "/admin/?directory=entra-staging"),
        ("dir-staging-directory", "/admin/directory"),
        ("dir-staging-orphans", "/admin/orphans"),
        ("dir-staging-audit", "/admin/audit/?all_directories=1"),
    ]
    problems = []
    for name, path in pages:
        problems += _check(page, name, live_server(path))
    assert problems == [], json.dumps(problems, indent=1, ensure_ascii=False)


def test_switching_to_staging_shows_the_banner_everywhere(page, live_server, console_errors):
    _seed(live_server)
    _sign_in(page, live_server)
    expect(page.locator("#staging-banner")).to_have_count(0)
    page.get_by_label("Directory", exact=True).select_option("entra-staging")
    page.get_by_role("button", name="Switch").click()
    expect(page.locator("#staging-banner")).to_contain_text("Entra prøvemiljø")
    page.get_by_role("link", name="Tokens", exact=True).click()
    expect(page.locator("#staging-banner")).to_be_visible()
    expect(page.get_by_role("cell", name="entra-prøve")).to_be_visible()
    expect(page.get_by_text("entra-produksjon")).to_have_count(0)


def test_an_admin_adds_a_directory_and_compares_two(page, live_server, console_errors):
    _seed(live_server)
    _sign_in(page, live_server)
    page.goto(live_server("/admin/directories"))
    page.get_by_label("Slug").fill("okta-test")
    page.get_by_label("Name").fill("Okta-test İzmir")
    page.get_by_label("Staging directory").check()
    page.get_by_role("button", name="Add directory").click()
    expect(page.get_by_text("Directory Okta-test İzmir is created")).to_be_visible()
    expect(page.locator("#staging-banner")).to_contain_text("Okta-test İzmir")
    page.goto(live_server("/admin/directories/compare?a=entra-staging&b=default"))
    counts = page.locator("table.counts-table")
    expect(counts.get_by_role("row", name="Users")).to_contain_text("7 users that differ")
    page.screenshot(path=str(SHOTS / "dir-compare-journey.png"), full_page=True)
