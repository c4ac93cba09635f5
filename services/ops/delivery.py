"""Send alert messages by e-mail (smtplib) and by a signed webhook; retry; keep a history.

The webhook signs `timestamp + "." + body` with HMAC-SHA256 under the shared secret:
`X-Rollcall-Timestamp: 1733486400` and `X-Rollcall-Signature: sha256=<hex>`. A receiver
recomputes the signature and refuses timestamps more than five minutes old, so a
captured request cannot be replayed later. A failed delivery is retried after 1, 5 and
15 minutes, then marked failed.
"""

import hashlib
import hmac
import json
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from datetime import datetime
from datetime import timedelta
from email.message import EmailMessage

from sqlalchemy import select

from models import OpsDelivery
from models import db
from services import outbound
from services import tx
from services.ops import channels

BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15))
MAX_ATTEMPTS = len(BACKOFF) + 1
TIMEOUT = 10


class DeliveryError(Exception):
    pass


def queue(session, alert, event: str, now: datetime) -> list[OpsDelivery]:
    """One pending delivery per enabled channel (in the caller's transaction)."""
    out = []
    for kind in channels.KINDS:
        view = channels.describe(kind)
        if view.enabled:
            row = OpsDelivery(alert_id=alert.id if alert else None, channel=kind, event=event,
                              subject=_subject(alert, event), payload=_payload(alert, event, now),
                              status="pending", attempts=0, created_at=now, next_attempt_at=now)
            session.add(row)
            out.append(row)
    return out


def test(kind: str, now: datetime) -> OpsDelivery:
    """Send a test message through one channel now, and record it in the history."""
    with tx.write() as session:
        row = OpsDelivery(channel=kind, event="test", subject="Rollcall test alert",
                          payload=_payload(None, "test", now), status="pending", attempts=0,
                          created_at=now, next_attempt_at=now)
        session.add(row)
    attempt(row.id, now)
    return db.session.get(OpsDelivery, row.id)


def deliver_due(now: datetime) -> int:
    """Attempt every pending delivery whose time has come; returns how many were sent."""
    ids = db.session.execute(select(OpsDelivery.id).where(
        OpsDelivery.status == "pending", OpsDelivery.next_attempt_at <= now)
        .order_by(OpsDelivery.id)).scalars().all()
    return sum(attempt(delivery_id, now) for delivery_id in ids)


def attempt(delivery_id: int, now: datetime) -> bool:
    """One try; on failure schedule the next or give up after MAX_ATTEMPTS."""
    with tx.write() as session:
        row = session.get(OpsDelivery, delivery_id)
        config, secret, error = channels.describe(row.channel), None, None
        try:
            secret = channels.secret_of(session, row.channel)
            _send(row, config.config, secret)
        except (OSError, smtplib.SMTPException, DeliveryError, ValueError,
                channels.SecretLost) as e:
            error = _describe_error(e, secret)
        row.attempts += 1
        row.last_attempt_at = now
        row.last_error = error
        if error is None:
            row.status, row.next_attempt_at = "sent", None
        elif row.attempts >= MAX_ATTEMPTS or row.event == "test":
            row.status, row.next_attempt_at = "failed", None
        else:
            row.next_attempt_at = now + BACKOFF[row.attempts - 1]
        return error is None


def history(limit: int = 50) -> list[OpsDelivery]:
    stmt = select(OpsDelivery).order_by(OpsDelivery.id.desc()).limit(limit)
    return list(db.session.execute(stmt).scalars())


def _send(row: OpsDelivery, config: dict, secret: str | None) -> None:
    if row.channel == "email":
        send_email(config, secret, row.subject, _text(row.payload))
    else:
        send_webhook(config.get("url", ""), secret, json.dumps(row.payload, sort_keys=True))


def send_email(config: dict, password: str | None, subject: str, body: str) -> None:
    recipients = [r.strip() for r in (config.get("recipients") or "").split(",") if r.strip()]
    if not config.get("host") or not recipients:
        raise DeliveryError("the SMTP host and at least one recipient are required")
    message = EmailMessage()
    message["Subject"], message["From"] = subject, config.get("sender") or "rollcall@localhost"
    message["To"] = ", ".join(recipients)
    message.set_content(body)
    port, security = int(config.get("port") or 25), config.get("security", "starttls")
    if security == "ssl":
        smtp = smtplib.SMTP_SSL(config["host"], port, timeout=TIMEOUT,
                                context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(config["host"], port, timeout=TIMEOUT)
    with smtp:
        if security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if config.get("username"):
            smtp.login(config["username"], password or "")
        smtp.send_message(message)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Rollcall-Signature value for a body sent at `timestamp` (Unix seconds)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


class _Refuse(urllib.request.HTTPRedirectHandler):
    """A redirect is answered as the HTTPError it is (services/outbound.py)."""

    def redirect_request(self, *_args, **_kwargs):
        return None


_NO_REDIRECTS = urllib.request.build_opener(_Refuse)


def send_webhook(url: str, secret: str | None, body: str) -> None:
    if not secret:
        raise DeliveryError("the webhook needs a signing secret")
    outbound.check(url)
    data, timestamp = body.encode(), str(int(time.time()))
    request = urllib.request.Request(url, data=data, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": "Rollcall-Alerts",
        "X-Rollcall-Timestamp": timestamp, "X-Rollcall-Signature": sign(secret, timestamp, data)})
    try:
        with _NO_REDIRECTS.open(request, timeout=TIMEOUT) as response:
            response.read(1024)
    except urllib.error.HTTPError as e:
        raise DeliveryError(f"the receiver answered {e.code}") from e


def _describe_error(error: Exception, secret: str | None) -> str:
    text = f"{type(error).__name__}: {error}"
    if secret:
        text = text.replace(secret, "[secret]")
    return text[:1000]


def _subject(alert, event: str) -> str:
    if alert is None:
        return "Rollcall test alert"
    prefix = "Resolved: " if event == "cleared" else f"[{alert.severity}] "
    return (prefix + alert.subject)[:300]


def _payload(alert, event: str, now: datetime) -> dict:
    body = {"event": event, "sent_at": now.isoformat(timespec="seconds") + "Z", "alert": None}
    if alert is not None:
        body["alert"] = {
            "key": alert.key, "kind": alert.kind, "severity": alert.severity,
            "subject": alert.subject, "message": alert.message, "link": alert.link,
            "fired_at": alert.fired_at.isoformat(timespec="seconds") + "Z",
            "cleared_at": (alert.cleared_at.isoformat(timespec="seconds") + "Z"
                           if alert.cleared_at else None),
            "clear_message": alert.clear_message}
    else:
        body["message"] = "A test from Rollcall: alerts reach this channel."
    return body


def _text(payload: dict) -> str:
    alert = payload.get("alert")
    if alert is None:
        return payload.get("message", "")
    lines = [alert["message"]]
    if payload["event"] == "cleared":
        lines = [f"Resolved at {alert['cleared_at']}: {alert['clear_message'] or ''}",
                 "", "It was: " + alert["message"]]
    lines += ["", f"Fired at {alert['fired_at']}."]
    if alert.get("link"):
        lines.append(f"Details: {alert['link']}")
    return "\n".join(lines)
