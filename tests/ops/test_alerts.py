"""Alerts: each condition fires once, clears once, and reaches a real SMTP sink and webhook."""

import email
import email.policy
import hashlib
import hmac
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy import update

from models import ChangeRecord
from models import OpsAlert
from models import OpsChannel
from models import OpsDelivery
from models import RequestLog
from models import db
from services import directories
from services import sealed
from services import tokens
from services.ops import alerts
from services.ops import config as ops_config
from services.ops import delivery
from services.ops import lease
from tests.conftest import ADMIN
from services.context import in_directory
from tests.ops.conftest import ENTRA
from tests.ops.conftest import OKTA
from tests.ops.conftest import Provisioner

CFG = ops_config.OpsConfig()
SECRET = "whsec-ÆØÅ-test"


def run(clock, **kw):
    return alerts.run(clock(), CFG, db.engine, verify=kw.get("verify", False))


@pytest.fixture
def channels(admin_client, smtp_sink, webhook_receiver):
    """Both channels configured through the alerts page, as an admin would."""
    r = admin_client.post("/admin/health/alerts/email", data={
        "enabled": "y", "host": smtp_sink.host, "port": smtp_sink.port, "security": "none",
        "sender": "rollcall@example.com", "recipients": "ops@example.com, zoë@example.com"})
    assert r.status_code == 302, r.get_data(as_text=True)
    r = admin_client.post("/admin/health/alerts/webhook", data={
        "enabled": "y", "url": webhook_receiver.url, "secret": SECRET})
    assert r.status_code == 302
    return smtp_sink, webhook_receiver


def subjects(sink):
    return [str(email.message_from_string(m["data"], policy=email.policy.default)["Subject"])
            for m in sink.messages]


def keys(receiver):
    return [(r["json"]["event"], r["json"]["alert"]["key"]) for r in receiver.received
            if r["json"]["alert"]]


def test_token_expiry_fires_at_14_7_and_1_days_once_each_and_clears(clock, client, issue,
                                                                    channels):
    sink, hook = channels
    entra = Provisioner(client, issue("entra-prod", days=20), ENTRA)
    entra.cycle(clock)
    assert run(clock).fired == []
    clock.advance(days=7)  # 13 days left
    entra.cycle(clock)
    assert run(clock).fired == ["token-expiry:entra-prod:14"]
    assert run(clock).fired == []  # once per condition
    clock.advance(days=6, hours=12)  # 6.5 days left
    entra.cycle(clock)
    assert run(clock).fired == ["token-expiry:entra-prod:7"]
    clock.advance(days=6)  # 12 hours left
    entra.cycle(clock)
    assert run(clock).fired == ["token-expiry:entra-prod:1"]
    assert subjects(sink) == ["[warning] Token entra-prod expires within 14 days",
                              "[warning] Token entra-prod expires within 7 days",
                              "[critical] Token entra-prod expires within 1 day"]
    assert keys(hook) == [("fired", "token-expiry:entra-prod:14"),
                          ("fired", "token-expiry:entra-prod:7"),
                          ("fired", "token-expiry:entra-prod:1")]
    # Rotated: the new token is used and the old one revoked; the three alerts clear.
    Provisioner(client, issue("entra-2026"), ENTRA).cycle(clock)
    tokens.revoke("entra-prod", ADMIN)
    result = run(clock)
    assert sorted(result.cleared) == ["token-expiry:entra-prod:1", "token-expiry:entra-prod:14",
                                      "token-expiry:entra-prod:7"]
    assert subjects(sink)[-1].startswith("Resolved: ")
    assert hook.received[-1]["json"]["alert"]["cleared_at"] is not None


def test_every_directory_is_checked_and_named(clock, client, issue, channels):
    sink, hook = channels
    okta = directories.create("okta-mig", "Okta migration", False, ADMIN)
    with in_directory(okta.id):
        secret = issue("okta-ørsted", days=10)
    Provisioner(client, secret, OKTA, base="/scim/v2/okta-mig").cycle(clock)
    assert run(clock).fired == ["token-expiry:okta-ørsted:14"]
    assert subjects(sink) == ["[warning] Okta migration: Token okta-ørsted expires within "
                              "14 days"]
    assert hook.received[-1]["json"]["alert"]["link"].endswith(
        "/admin/tokens?directory=okta-mig")


def test_an_unused_token_near_expiry_does_not_alert(clock, issue, channels):
    issue("spare", days=2)
    assert run(clock).fired == []


def test_webhook_signature_and_timestamp(clock, entra, channels):
    _, hook = channels
    tokens.revoke("entra-prod", ADMIN)
    entra.cycle(clock)
    assert run(clock).fired == ["unauthorized:entra-prod/entra"]
    sent = hook.received[-1]
    timestamp = sent["headers"]["X-Rollcall-Timestamp"]
    expected = hmac.new(SECRET.encode(), timestamp.encode() + b"." + sent["body"],
                        hashlib.sha256).hexdigest()
    assert sent["headers"]["X-Rollcall-Signature"] == "sha256=" + expected
    assert int(timestamp) > 1_700_000_000
    tampered = hmac.new(SECRET.encode(), b"0." + sent["body"], hashlib.sha256).hexdigest()
    assert tampered != expected  # an old timestamp cannot be reused with the same signature


def test_cycle_overdue_fires_and_clears_when_traffic_returns(clock, entra, channels):
    sink, _ = channels
    entra.cycle(clock)
    clock.advance(minutes=79)
    assert run(clock).fired == []
    clock.advance(minutes=2)
    assert run(clock).fired == ["cycle-overdue:entra-prod/entra"]
    assert "No provisioning cycle from Microsoft Entra · entra-prod for 81 minutes" in \
        subjects(sink)[-1]
    entra.cycle(clock)
    assert run(clock).cleared == ["cycle-overdue:entra-prod/entra"]
    message = email.message_from_string(sink.messages[-1]["data"], policy=email.policy.default)
    assert message["Subject"].startswith("Resolved: ")
    assert "Requests from this client arrive again." in message.get_content()


def test_failure_ratio_and_401s(clock, client, entra, channels):
    entra.cycle(clock, users=["ann@example.com"], fail=1)  # 1 of 3 = 33%
    assert run(clock).fired == ["failure-ratio:entra-prod/entra"]
    clock.advance(minutes=40)
    entra.cycle(clock, users=["bob@example.com", "cem@example.com"])
    assert run(clock).cleared == ["failure-ratio:entra-prod/entra"]
    clock.advance(minutes=40)
    tokens.revoke("entra-prod", ADMIN)
    entra.cycle(clock)
    assert run(clock).fired == ["unauthorized:entra-prod/entra"]


def test_a_failed_chain_verification_alerts_and_names_the_record(clock, entra, channels,
                                                                 admin_client):
    sink, _ = channels
    entra.cycle(clock)
    row_id = db.session.execute(select(RequestLog.id)).scalars().first()
    db.session.execute(update(RequestLog).where(RequestLog.id == row_id).values(status=299))
    db.session.commit()
    result = run(clock, verify=True)
    assert result.fired == ["chain-verify"]
    assert f"request-log record {row_id}" in sink.messages[-1]["data"]
    html = admin_client.get("/admin/").get_data(as_text=True)
    assert "broken" in html and f'href="/admin/audit/requests/{row_id}"' in html


def test_deliveries_are_retried_then_given_up(clock, entra, channels):
    _, hook = channels
    hook.answers = [500, 503]
    tokens.revoke("entra-prod", ADMIN)
    entra.cycle(clock)
    run(clock)
    webhook = db.session.execute(select(OpsDelivery).where(
        OpsDelivery.channel == "webhook")).scalar_one()
    assert (webhook.status, webhook.attempts) == ("pending", 1)
    assert "500" in webhook.last_error
    clock.advance(seconds=30)
    assert run(clock).sent == 0  # not due yet
    clock.advance(seconds=31)
    run(clock)  # 503
    clock.advance(minutes=5)
    run(clock)  # 204
    db.session.refresh(webhook)
    assert (webhook.status, webhook.attempts) == ("sent", 3)
    assert len(hook.received) == 3


def test_a_channel_that_never_answers_is_marked_failed(clock, entra, channels):
    _, hook = channels
    hook.answers = [500] * 10
    tokens.revoke("entra-prod", ADMIN)
    entra.cycle(clock)
    for minutes in (0, 1, 5, 15):
        clock.advance(minutes=minutes)
        run(clock)
    webhook = db.session.execute(select(OpsDelivery).where(
        OpsDelivery.channel == "webhook")).scalar_one()
    assert (webhook.status, webhook.attempts) == ("failed", delivery.MAX_ATTEMPTS)


def test_test_buttons_and_history(clock, admin_client, channels):
    sink, hook = channels
    r = admin_client.post("/admin/health/alerts/test/email", follow_redirects=True)
    assert "Test email sent." in r.get_data(as_text=True)
    assert sink.messages[-1]["to"] == ["<ops@example.com>", "<zoë@example.com>"]
    r = admin_client.post("/admin/health/alerts/test/webhook", follow_redirects=True)
    html = r.get_data(as_text=True)
    assert "Test webhook sent." in html and hook.received[-1]["json"]["event"] == "test"
    assert html.count("Rollcall test alert") == 2  # the delivery history


def test_secrets_are_never_shown_again(admin_client, channels):
    html = admin_client.get("/admin/health/alerts").get_data(as_text=True)
    assert SECRET not in html and "A signing secret is stored." in html
    # Saving without a secret keeps the stored one.
    admin_client.post("/admin/health/alerts/webhook", data={"enabled": "y",
                                                            "url": channels[1].url})
    assert admin_client.post("/admin/health/alerts/test/webhook").status_code == 302
    assert channels[1].received[-1]["headers"]["X-Rollcall-Signature"].startswith("sha256=")
    changes = [r.changes for r in db.session.execute(select(ChangeRecord)).scalars()]
    assert SECRET not in repr(changes)


def signed_with(secret: str, sent: dict) -> bool:
    timestamp = sent["headers"]["X-Rollcall-Timestamp"]
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + sent["body"],
                        hashlib.sha256).hexdigest()
    return sent["headers"]["X-Rollcall-Signature"] == "sha256=" + expected


def stored_secret(kind: str) -> str:
    return db.session.execute(select(OpsChannel.secret).where(OpsChannel.kind == kind)).scalar()


def set_stored_secret(kind: str, value: str) -> None:
    db.session.execute(update(OpsChannel).where(OpsChannel.kind == kind).values(secret=value))
    db.session.commit()


def test_secrets_are_sealed_at_rest(admin_client, channels):
    admin_client.post("/admin/health/alerts/email", data={
        "enabled": "y", "host": channels[0].host, "port": channels[0].port, "security": "none",
        "username": "ops", "password": "pässwörd-42", "recipients": "ops@example.com"})
    for kind, secret in (("webhook", SECRET), ("email", "pässwörd-42")):
        stored = stored_secret(kind)
        assert stored.startswith("sealed:") and secret not in stored
    assert admin_client.post("/admin/health/alerts/test/webhook").status_code == 302
    assert signed_with(SECRET, channels[1].received[-1])


def test_a_secret_stored_in_clear_by_an_earlier_version_is_sealed_when_used(admin_client,
                                                                            channels):
    set_stored_secret("webhook", SECRET)
    assert admin_client.post("/admin/health/alerts/test/webhook").status_code == 302
    assert signed_with(SECRET, channels[1].received[-1])
    assert stored_secret("webhook").startswith("sealed:")


def test_a_secret_sealed_under_another_secret_key_must_be_entered_again(admin_client, channels):
    set_stored_secret("webhook", "sealed:" + sealed.seal("another key", sealed.ALERTS, SECRET))
    html = admin_client.post("/admin/health/alerts/test/webhook",
                             follow_redirects=True).get_data(as_text=True)
    assert "The test webhook failed: SecretLost" in html and "Enter it again." in html
    count = len(channels[1].received)
    admin_client.post("/admin/health/alerts/webhook", data={
        "enabled": "y", "url": channels[1].url, "secret": SECRET})
    assert admin_client.post("/admin/health/alerts/test/webhook").status_code == 302
    assert len(channels[1].received) == count + 1
    assert signed_with(SECRET, channels[1].received[-1])


def test_a_failed_test_says_why(clock, admin_client):
    admin_client.post("/admin/health/alerts/email", data={
        "enabled": "y", "host": "127.0.0.1", "port": 9, "security": "none",
        "recipients": "ops@example.com"})
    html = admin_client.post("/admin/health/alerts/test/email",
                             follow_redirects=True).get_data(as_text=True)
    assert "The test email failed: ConnectionRefusedError" in html


def test_auditors_cannot_change_channels(auditor_client):
    r = auditor_client.post("/admin/health/alerts/webhook", data={"url": "http://x"})
    assert r.status_code == 403
    assert auditor_client.get("/admin/health/alerts").status_code == 200


def test_alerts_run_from_the_cli_takes_the_lease(app, clock, entra, channels):
    tokens.revoke("entra-prod", ADMIN)
    entra.cycle(clock)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["alerts", "run"])
    assert result.exit_code == 0, result.output
    assert "1 fired" in result.output
    assert db.session.execute(select(OpsAlert.key)).scalars().all() == [
        "unauthorized:entra-prod/entra"]
    # The next cron run is another process: this one released the lease.
    assert lease.acquire("alerts", clock(), timedelta(seconds=90), me="next-cron-run:2:y")
    lease.release("alerts", me="next-cron-run:2:y")
    # Once the lease lapses another process may take it; the command then does nothing.
    assert lease.acquire("alerts", clock.advance(seconds=91), timedelta(seconds=90),
                         me="other-host:1:x")
    result = runner.invoke(args=["alerts", "run"])
    assert "another process" in result.output


def test_the_lease_goes_to_one_holder_at_a_time(app, clock):
    ttl = timedelta(seconds=90)
    assert lease.acquire("alerts", clock(), ttl, me="a")
    assert not lease.acquire("alerts", clock(), ttl, me="b")
    assert lease.acquire("alerts", clock(), ttl, me="a")  # renewed
    assert lease.acquire("alerts", clock.advance(seconds=91), ttl, me="b")  # lapsed


def test_the_scheduler_tick_runs_the_checks_without_a_request(app, clock, entra, channels):
    from services.ops import scheduler

    tokens.revoke("entra-prod", ADMIN)
    entra.cycle(clock)
    s = scheduler.scheduler_for(app)
    assert s.tick() is True
    assert db.session.execute(select(OpsAlert.key)).scalars().all() == [
        "unauthorized:entra-prod/entra"]


def test_the_scheduler_thread_runs_by_itself(app, clock, entra, channels):
    """Started as a worker starts it; it takes the lease and runs with no request arriving."""
    from services.ops import scheduler

    tokens.revoke("entra-prod", ADMIN)
    entra.cycle(clock)
    s = scheduler.Scheduler(app, interval=0.05)
    s.ensure_started()
    try:
        for _ in range(400):
            if s.runs:
                break
            s.stopping.wait(0.05)
    finally:
        s.stop()
    assert s.runs >= 1
    assert channels[1].received[0]["json"]["alert"]["key"] == "unauthorized:entra-prod/entra"


def test_lost_request_log_rows_alert_when_rows_are_lost(clock, channels, monkeypatch):
    from services.audit import requestlog

    lost = {"rows": 0}
    monkeypatch.setattr(requestlog, "lost_count", lambda: lost["rows"])
    assert run(clock).fired == []
    lost["rows"] = 12
    assert run(clock).fired == ["request-log-lost"]
    assert "12 request-log rows" in channels[1].received[-1]["json"]["alert"]["subject"]
