"""The main journeys in a real browser: sign in, tokens, SCIM traffic, custom fields, roles."""

import json
import re
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from services import admins
from services import tokens
from services.actor import CLI

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
URN = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"


def scim(server, method, path, secret, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(server(f"/scim/v2/{path}"), data=data, method=method, headers={
        "Authorization": f"Bearer {secret}", "Content-Type": "application/scim+json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def account(server, username, role="admin"):
    with server.app.app_context():
        admins.create(username, PASSWORD, role, CLI)


def sign_in(page, server, username, password=PASSWORD):
    page.goto(server("/admin/"))
    expect(page).to_have_url(re.compile(r"/auth/login\?next="))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_first_run_sign_in_changes_the_one_time_password(page, live_server, shoot,
                                                         console_errors):
    with live_server.app.app_context():
        password = admins.ensure_first(CLI)
    page.goto(live_server("/auth/login"))
    shoot("01-login")
    sign_in(page, live_server, "admin", password)
    expect(page).to_have_url(live_server("/auth/password"))
    expect(page.get_by_text("one-time password")).to_be_visible()
    page.get_by_label("Current password").fill(password)
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_label("New password again").fill("short")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Use 12 to 1024 characters.")).to_be_visible()
    shoot("02-password-error")
    page.get_by_label("Current password").fill(password)
    page.get_by_label("New password", exact=True).fill("my own passphrase")
    page.get_by_label("New password again").fill("my own passphrase")
    page.get_by_role("button", name="Change password").click()
    expect(page).to_have_url(live_server("/admin/"))
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def test_token_journey(page, context, live_server, shoot, console_errors):
    account(live_server, "alice")
    sign_in(page, live_server, "alice")
    expect(page.get_by_text("No valid token.")).to_be_visible()
    expect(page.locator("#last-request")).to_contain_text("None yet")
    shoot("03-dashboard-empty")

    page.get_by_role("link", name="Tokens", exact=True).click()
    expect(page.get_by_label("Expires after (days)")).to_have_value("90")
    page.get_by_label("Name").fill("entra-production")
    page.get_by_role("button", name="Generate token").click()
    expect(page.get_by_role("heading", name="Token generated")).to_be_visible()
    secret = page.locator("#secret").inner_text().strip()
    assert secret.startswith("rcscim_")
    shoot("04-token-created")
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy token").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == secret

    page.get_by_role("link", name="back to tokens").click()
    # The first row is in "All tokens"; "Clients seen" lists the token too.
    expect(page.get_by_role("row", name=re.compile("entra-production")).first).to_be_visible()
    assert secret not in page.content()
    page.go_back()  # the browser may not show the secret again from its cache
    assert secret not in page.content()
    page.goto(live_server("/admin/tokens"))
    shoot("05-tokens")

    status, body = scim(live_server, "GET", 'Users?filter=userName+eq+%22probe%22', secret)
    assert (status, body["totalResults"]) == (200, 0)
    page.get_by_role("link", name="Dashboard").click()
    expect(page.locator("#last-request")).to_contain_text("GET /scim/v2/Users?filter=userName")
    expect(page.locator("#last-request")).to_contain_text("entra-production")
    expect(page.locator(".token-state")).to_contain_text("1 active token")
    shoot("06-dashboard-after-request")

    page.goto(live_server("/admin/tokens"))
    page.get_by_role("link", name="Rotate entra-production").click()
    page.get_by_role("button", name="Generate the new token").click()
    new_secret = page.locator("#secret").inner_text().strip()
    assert new_secret != secret
    assert scim(live_server, "GET", "Users", new_secret)[0] == 200
    page.goto(live_server("/admin/tokens"))
    page.get_by_role("link", name="Revoke entra-production", exact=True).click()
    shoot("07-revoke-confirm")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke token").click()
    expect(page.get_by_text("Token entra-production is revoked.")).to_be_visible()
    assert scim(live_server, "GET", "Users", secret)[0] == 401


def test_custom_field_journey(page, live_server, shoot, console_errors):
    account(live_server, "alice")
    with live_server.app.app_context():
        _, secret = tokens.issue("entra", 90, CLI)
    sign_in(page, live_server, "alice")
    page.get_by_role("link", name="Custom fields").click()
    page.get_by_label("Attribute name").fill("cost code")
    page.get_by_role("button", name="Declare field").click()
    expect(page.get_by_text("Start with a letter")).to_be_visible()
    page.get_by_label("Attribute name").fill("costCode")
    page.get_by_label("Description").fill("Finance cost code")
    page.get_by_role("button", name="Declare field").click()
    expect(page.get_by_text("Custom field costCode is declared.")).to_be_visible()
    expect(page.locator("#urn-costCode")).to_have_text(f"{URN}:costCode")
    shoot("08-custom-fields")

    status, body = scim(live_server, "GET", "Schemas", secret)
    custom = next(s for s in body["Resources"] if s["id"] == URN)
    assert [a["name"] for a in custom["attributes"]] == ["costCode"]
    status, user = scim(live_server, "POST", "Users", secret, {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ann@example.com",
        "displayName": "Ann Example", "emails": [{"value": "ann@example.com", "type": "work"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Sales"}})
    assert status == 201
    status, patched = scim(live_server, "PATCH", f"Users/{user['id']}", secret, {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Add", "path": f"{URN}:costCode", "value": "CC-42"}]})
    assert status == 200 and patched[URN]["costCode"] == "CC-42"

    page.get_by_role("link", name="Directory").click()
    shoot("09-directory")
    page.get_by_role("link", name="Breakdown").click()
    expect(page.get_by_role("link", name="Sales")).to_be_visible()
    shoot("09b-breakdown")
    page.get_by_role("link", name="Users").click()
    page.get_by_role("link", name="ann@example.com").click()
    expect(page.get_by_role("row", name=re.compile("costCode.*CC-42"))).to_be_visible()
    shoot("10-user")
    page.get_by_role("link", name="Setup guide").click()
    expect(page.get_by_text(f"{URN}:costCode").first).to_be_visible()
    shoot("11-setup")
    page.get_by_role("link", name="Provisioning rules", exact=True).click()
    shoot("12-rules")


def test_an_auditor_cannot_create_a_token(page, live_server, shoot):
    account(live_server, "olga", "auditor")
    sign_in(page, live_server, "olga")
    page.get_by_role("link", name="Tokens", exact=True).click()
    expect(page.get_by_role("heading", name="Tokens", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Generate token")).to_have_count(0)
    shoot("13-auditor-tokens")
    csrf = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    response = page.request.post(live_server("/admin/tokens"), form={
        "csrf_token": csrf, "name": "sneaky", "days": "90"})
    assert response.status == 403
    page.goto(live_server("/admin/tokens/1/rotate"))
    expect(page.get_by_role("heading", name="403 Not allowed for your role")).to_be_visible()
    expect(page.get_by_text("not rotate a token")).to_be_visible()
    with live_server.app.app_context():
        assert tokens.all_tokens() == []
