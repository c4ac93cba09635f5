"""Delivery channels: SMTP e-mail and a signed webhook. Secrets are write-only.

The SMTP password and the webhook secret are needed in clear to log in and to sign, so
they are stored sealed under SECRET_KEY (services/sealed.py), never returned by
`describe`, never rendered and never logged: the form only says whether one is set, and
an empty field keeps it. A secret stored in clear by an earlier version is sealed the
first time it is used.
"""

from dataclasses import dataclass

from models import OpsChannel
from models import db
from models import utcnow
from services import audit
from services import config
from services import sealed
from services import tx
from services.audit import Target

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


SEALED = "sealed:"  # marks a sealed secret; an earlier version stored it in clear


class SecretLost(Exception):
    """The stored secret was sealed under another SECRET_KEY: it must be entered again."""


def secret_of(session, kind: str) -> str | None:
    """The channel's secret in clear, for the delivery in `session`'s transaction.

    :raise SecretLost: when it cannot be opened with this SECRET_KEY.
    """
    row = session.get(OpsChannel, kind)
    if row is None or not row.secret:
        return None
    if not row.secret.startswith(SEALED):
        row.secret = _seal(row.secret)  # written in clear by an earlier version
    return open_secret(row.secret)


def open_secret(stored: str) -> str:
    try:
        return sealed.open_(config.get("SECRET_KEY"), sealed.ALERTS, stored.removeprefix(SEALED))
    except sealed.InvalidToken:
        raise SecretLost("the stored secret cannot be opened: was SECRET_KEY changed? "
                         "Enter it again.") from None


def _seal(secret: str) -> str:
    return SEALED + sealed.seal(config.get("SECRET_KEY"), sealed.ALERTS, secret)


def save(kind: str, enabled: bool, config: dict, secret: str | None, actor) -> None:
    """Store a channel's settings; a None or empty secret keeps the stored one."""
    with tx.write() as session:
        row = session.get(OpsChannel, kind) or OpsChannel(kind=kind, config={})
        before = {"enabled": row.enabled, **(row.config or {})}
        row.enabled, row.config, row.updated_at = enabled, config, utcnow()
        changes = {k: [before.get(k), v] for k, v in {"enabled": enabled, **config}.items()
                   if before.get(k) != v}
        if secret:
            row.secret = _seal(secret)
            changes["secret"] = ["…", "changed"]  # never the value
        session.add(row)
        audit.record(session, actor, f"alerts.{kind}", Target("Setting", kind, kind), changes)
