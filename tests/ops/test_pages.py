"""The health, alerts and quirks pages, the dashboard card and the chain-verify button."""

import re

from sqlalchemy import select
from sqlalchemy import update

from models import RequestLog
from models import db
from services import tokens
from tests.admin.helpers import page
from tests.conftest import ADMIN
from tests.ops.conftest import ENTRA
from tests.ops.conftest import Provisioner


def test_dashboard_card_and_health_page(clock, client, entra, admin_client):
    entra.cycle(clock, users=["zoë@example.com", "İlkay@example.com"])
    clock.advance(minutes=40)
    entra.cycle(clock, users=["ßtraße@example.com"], fail=1)
    clock.advance(minutes=2)
    html = page(admin_client.get("/admin/"))
    card = html.split('id="health-card"')[1].split("</section>")[0]
    assert "Microsoft Entra · entra-prod" in card and "Degraded" in card
    assert "1 of 3 requests of the last cycle failed (33%" in card
    html = page(admin_client.get("/admin/health/"))
    assert html.count('class="ok"><title>') == 2 and html.count('class="failed"><title>') == 1
    assert "Cycle history (2)" in html
    links = re.findall(r'href="(/admin/audit/\?[^"]+)"', html)
    assert len(links) == 2
    # The newest cycle's link shows exactly its three requests.
    audit = page(admin_client.get(links[0].replace("&amp;", "&")))
    assert audit.count('data-label="Request"') == 3  # rows, of six


def test_quarantine_on_the_page_says_when_entra_retries(clock, client, issue, admin_client):
    entra = Provisioner(client, issue("entra-prod", days=1), ENTRA)
    entra.cycle(clock)
    clock.advance(days=1, minutes=1)
    entra.cycle(clock)
    html = page(admin_client.get("/admin/health/"))
    assert "Probably quarantined" in html and "next retry about" in html


def test_quirk_ledger(clock, entra, admin_client):
    for name in ("ann@example.com", "bob@example.com"):
        entra.call("POST", "Users", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                                     "userName": name, "favouriteColour": "grün"})
        clock.advance(minutes=1)
    html = page(admin_client.get("/admin/health/quirks"))
    assert "ignored unknown attribute favouriteColour" in html
    assert ("Microsoft Entra sends favouriteColour, which Rollcall ignores: remove the mapping "
            "or declare a custom field.") in html
    row = html.split("ignored unknown attribute favouriteColour")[1].split("</tr>")[0]
    assert '<td data-label="Count" class="num">2</td>' in row
    first = db.session.execute(select(RequestLog.id).order_by(RequestLog.id)).scalars().first()
    assert f'href="/admin/audit/requests/{first}"' in row
    assert "/admin/health/quirks" in page(admin_client.get("/admin/setup"))


def test_auditors_verify_the_chain_and_see_the_first_bad_record(clock, entra, auditor_client):
    entra.cycle(clock)
    html = page(auditor_client.get("/admin/audit/chain"))
    assert "never verified" in html
    r = auditor_client.post("/admin/health/verify", data={"next": "/admin/audit/chain"})
    assert r.status_code == 302 and r.headers["Location"] == "/admin/audit/chain"
    assert "intact" in page(auditor_client.get("/admin/audit/chain"))
    row_id = db.session.execute(select(RequestLog.id)).scalars().first()
    db.session.execute(update(RequestLog).where(RequestLog.id == row_id)
                       .values(path="/scim/v2/Users?edited"))
    db.session.commit()
    auditor_client.post("/admin/health/verify", data={"next": "/admin/audit/"})
    html = page(auditor_client.get("/admin/audit/"))
    assert "broken" in html and f'href="/admin/audit/requests/{row_id}">First bad record' in html


def test_anonymous_people_see_nothing(client):
    for path in ("/admin/health/", "/admin/health/alerts", "/admin/health/quirks"):
        assert client.get(path).status_code == 302
    assert client.post("/admin/health/verify").status_code == 302


def test_the_health_page_with_no_traffic(admin_client):
    html = page(admin_client.get("/admin/health/"))
    assert "No provisioning client has called in the last 30 days." in html
    assert "No provisioning client has called yet" in page(admin_client.get("/admin/"))


def test_a_revoked_token_never_shows_as_in_use_on_the_revoke_page(clock, entra, admin_client):
    entra.cycle(clock)
    tokens.revoke("entra-prod", ADMIN)
    token_id = tokens.all_tokens()[0].id
    assert "Entra is still using" not in page(admin_client.get(f"/admin/tokens/{token_id}/revoke"))


def test_the_verify_button_returns_only_to_this_site(auditor_client):
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        r = auditor_client.post("/admin/health/verify", data={"next": target})
        assert r.headers["Location"] == "/admin/audit/chain"
