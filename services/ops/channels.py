"""Delivery channels: SMTP e-mail and a signed webhook. Secrets are write-only.

The SMTP password and the webhook secret are needed in clear to log in and to sign,
so they are stored in the database (like the SMTP password in any mailer's config) but
never returned by `describe`, never rendered and never logged: the form only says
whether one is set, and an empty field keeps it.
"""

from dataclasses import dataclass

from models import OpsChannel
from models import db
from models import utcnow
from services import audit
from services import tx

KINDS = ("email", "webhook")
SECURITY = ("starttls", "ssl", "none")
EMAIL_FIELDS = ("host", "port", "security", "username", "sender", "recipients")
WEBHOOK_FIELDS = ("url",)
# The metrics token generated in the UI lives here too, as a SHA-256 (services/ops/metrics.py).
METRICS = "metrics"


@dataclass(frozen=True)
class ChannelView:
    kind: str
    enabled: bool
    config: dict
    has_secret: bool


def describe(kind: str) -> ChannelView:
    """A channel's settings without its secret."""
    row = db.session.get(OpsChannel, kind)
    if row is None:
        return ChannelView(kind, False, {}, False)
    return ChannelView(kind, row.enabled, dict(row.config or {}), bool(row.secret))


def secret_of(session, kind: str) -> str | None:
    row = session.get(OpsChannel, kind)
    return row.secret if row else None


def save(kind: str, enabled: bool, config: dict, secret: str | None, actor) -> None:
    """Store a channel's settings; a None or empty secret keeps the stored one."""
    with tx.write() as session:
        row = session.get(OpsChannel, kind) or OpsChannel(kind=kind, config={})
        before = {"enabled": row.enabled, **(row.config or {})}
        row.enabled, row.config, row.updated_at = enabled, config, utcnow()
        changes = {k: [before.get(k), v] for k, v in {"enabled": enabled, **config}.items()
                   if before.get(k) != v}
        if secret:
            row.secret = secret
            changes["secret"] = ["…", "changed"]  # never the value
        session.add(row)
        audit.record(session, actor, f"alerts.{kind}", "Setting", kind, kind, changes)
