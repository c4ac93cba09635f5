"""The health, alerts and quirk pages in a real browser, at desktop and phone widths.

Traffic is made through the app on a controlled clock (several Entra cycles, one failing,
an Okta client on a revoked token); screenshots go to /tmp/rollcall-shots/health-*.png.
"""

from datetime import timedelta

import pytest

pytest.importorskip("playwright")

from playwright.sync_api import expect  # noqa: E402

from models import db  # noqa: E402
from models import utcnow  # noqa: E402
from services import tokens  # noqa: E402
from services.actor import CLI  # noqa: E402
from services.ops import alerts  # noqa: E402
from services.ops import channels  # noqa: E402
from services.ops import config as ops_config  # noqa: E402
from tests.browser.conftest import SHOTS  # noqa: E402
from tests.browser.test_journeys import account  # noqa: E402
from tests.browser.test_journeys import sign_in  # noqa: E402

pytestmark = pytest.mark.browser

WIDE = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
ENTRA = "Microsoft Azure AD SCIM Client"


class Clock:
    """Starts five hours back, so pages that read the real time agree with the traffic."""

    def __init__(self):
        self.t = utcnow().replace(second=0, microsecond=0) - timedelta(hours=5)

    def __call__(self):
        return self.t


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    for target in ("blueprints.scim.utcnow", "services.tokens.utcnow",
                   "services.readmodels.dashboard.utcnow", "services.ops.clock.now",
                   "blueprints.admin_tokens.utcnow"):
        monkeypatch.setattr(target, c)
    return c


def _traffic(app, clock):
    client = app.test_client()
    with app.app_context():
        entra = tokens.issue("entra-prod", 10, CLI)[1]
        okta = tokens.issue("okta-pilot", 90, CLI)[1]

    def call(secret, method, path, body=None, agent=ENTRA):
        client.open(f"/scim/v2/{path}", method=method, json=body, headers={
            "Authorization": f"Bearer {secret}", "User-Agent": agent,
            "Content-Type": "application/scim+json"},
            environ_base={"REMOTE_ADDR": "20.190.128.7" if agent == ENTRA else "52.4.1.9"})

    names = ["zoë", "İlkay", "søren", "ßtraße", "ａｎｎａ", "élodie", "björn", "chloé"]
    for n in range(6):
        call(entra, "GET", 'Users?filter=userName eq "0f1e2d3c-probe"')
        for i, name in enumerate(names[n: n + 3]):
            clock.t += timedelta(seconds=20)
            call(entra, "POST", "Users", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                                          "userName": f"{name}{n}{i}@example.com",
                                          "favouriteColour": "grün"})
        if n == 5:
            for _ in range(2):
                clock.t += timedelta(seconds=20)
                call(entra, "GET", "Users/00000000-0000-0000-0000-000000000000")
        clock.t += timedelta(minutes=40)
    call(okta, "GET", "Users", agent="Okta SCIM Client 1.0.0")
    with app.app_context():
        tokens.revoke("okta-pilot", CLI)
    call(okta, "GET", "Users", agent="Okta SCIM Client 1.0.0")
    clock.t += timedelta(minutes=5)
    with app.app_context():
        channels.save("webhook", True, {"url": "http://127.0.0.1:9/hook"}, "s3cret", CLI)
        alerts.run(clock(), ops_config.OpsConfig(), db.engine, verify=True)
        app.extensions["rollcall_request_log"].flush()


def _shoot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("desktop", WIDE), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=str(SHOTS / f"health-{name}-{label}.png"), full_page=True)
    page.set_viewport_size(WIDE)


def test_health_pages(page, live_server, clock, console_errors):
    _traffic(live_server.app, clock)
    account(live_server, "alice")
    page.set_viewport_size(WIDE)
    sign_in(page, live_server, "alice")
    card = page.locator("#health-card")
    expect(card).to_contain_text("Degraded")
    expect(card).to_contain_text("Probably quarantined")
    _shoot(page, "dashboard")
    page.get_by_role("link", name="Cycles and history").click()
    expect(page.get_by_role("heading", name="Provisioning health")).to_be_visible()
    expect(page.locator("figure.ops-chart svg").first).to_be_visible()
    _shoot(page, "page")
    entra = page.locator("section.card", has_text="Microsoft Entra · entra-prod")
    entra.get_by_text("Cycle history (6)").click()
    entra.get_by_role("link", name="Requests of the cycle at").first.click()
    expect(page.locator("table")).to_contain_text("/scim/v2/Users/00000000")
    page.goto(live_server("/admin/health/alerts"))
    expect(page.get_by_role("heading", name="Recent alerts")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("s3cret")
    _shoot(page, "alerts")
    page.goto(live_server("/admin/health/quirks"))
    expect(page.locator("body")).to_contain_text("favouriteColour")
    _shoot(page, "quirks")
    page.goto(live_server("/admin/tokens"))
    expect(page.locator("#token-clients")).to_contain_text("20.190.128.7")
    _shoot(page, "tokens")
