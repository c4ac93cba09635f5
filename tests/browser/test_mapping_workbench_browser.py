"""The mapping workbench in a real browser, with JavaScript off: it is server-rendered."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from services import admins
from services import users
from services.actor import CLI
from tests.conftest import user_body

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
SHOTS = Path("/tmp/rollcall-shots")
WIDE = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def no_js_page(browser):
    context = browser.new_context(java_script_enabled=False, viewport=WIDE)
    page = context.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and not m.text.startswith(
        "Failed to load resource") and errors.append(m.text))
    yield page
    context.close()
    assert errors == []


def shoot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-1366.png"), full_page=True)
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), \
        f"{name} scrolls sideways at 390 px"
    page.screenshot(path=str(SHOTS / f"{name}-390.png"), full_page=True)
    for part in ("#workbench", "#results", "#directory-check"):
        if page.locator(part).count():
            page.locator(part).screenshot(path=str(SHOTS / f"{name}-390-{part[1:]}.png"))
    page.set_viewport_size(WIDE)


def results_row(page, target):
    return page.locator("table.verdicts tbody tr").filter(
        has=page.locator("th", has_text=re.compile("^" + re.escape(target))))


def test_try_a_mapping_check_the_directory_and_save_it(no_js_page, live_server):
    page = no_js_page
    with live_server.app.app_context():
        admins.create("alice", PASSWORD, "admin", CLI)
        users.create(user_body("ada@example.com"), CLI)
        users.create(user_body("øyvind@example.com", emails=[]), CLI)
    page.goto(live_server("/admin/setup"))
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.locator("#mappings").get_by_role("link", name="mapping workbench").click()
    expect(page.get_by_role("heading", name="Mapping workbench", exact=True)).to_be_visible()

    page.get_by_label("Sample person").select_option("no-mail")
    page.get_by_role("button", name="Load person").click()
    expect(page.get_by_label("Source attribute values")).to_contain_text("Wiśniewski")
    page.get_by_label("Preset").select_option("kantega")
    page.get_by_role("button", name="Load preset").click()
    work = results_row(page, 'emails[type eq "work"].value')
    expect(work).to_contain_text('"tomasz.wisniewski@contoso.example"')
    expect(work).to_contain_text("accepted")
    expect(page.locator("#post-body")).to_contain_text('"displayName": "Tomasz Wiśniewski"')
    shoot(page, "mapping-workbench")

    page.get_by_label("Source 3", exact=True).fill('Join(" ", [givenName] [surname])')
    page.get_by_role("button", name="Evaluate", exact=True).click()
    expect(results_row(page, "displayName")).to_contain_text("syntax error at position 23")

    page.get_by_role("button", name="Check against the directory").click()
    expect(page.get_by_text("Checked 2 of 2 people")).to_be_visible()
    expect(page.locator("ul.census")).to_contain_text("would fail on display name")
    shoot(page, "mapping-workbench-check")

    page.get_by_label("Source 3", exact=True).fill(
        'Switch(IsPresent([displayName]), , "True", [displayName], "False", '
        'Join(" ", [givenName], [surname]))')
    page.get_by_role("button", name="Evaluate", exact=True).click()
    page.get_by_role("button", name="Save mapping").click()
    expect(page.get_by_text("Mapping saved (20 rows).")).to_be_visible()
    expect(page.get_by_label("Preset")).to_have_value("saved")
