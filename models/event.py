"""Outbound change events: the outbox, subscriptions, deliveries, the signing key, the lease.

An event row is written with its change record, in the same transaction (no position yet).
A sequencer later gives committed events their `position` and fans them out into one
delivery row per matching subscription; see services/events/sequencer.py.
"""

from datetime import datetime

from sqlalchemy import BigInteger
from sqlalchemy import Boolean
from sqlalchemy import DateTime
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from .audit import BigId
from .base import JSONType
from .base import db
from .base import utcnow
from .directory import directory_column


class Event(db.Model):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    directory_id: Mapped[int] = directory_column(foreign_key=False)
    # Given after commit by the sequencer, in the order it sees commits: never a gap.
    position: Mapped[int | None] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    request_id: Mapped[str | None] = mapped_column(String(36))
    actor: Mapped[str | None] = mapped_column(String(220))
    action: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(16))
    resource_type: Mapped[str] = mapped_column(String(32))
    resource_id: Mapped[str | None] = mapped_column(String(64))
    resource_name: Mapped[str | None] = mapped_column(String(512))
    changes: Mapped[dict | None] = mapped_column(JSONType)

    # The unique index on position also finds the unsequenced events (position IS NULL).
    __table_args__ = (
        Index("ux_events_position", "position", unique=True),
        Index("ix_events_at", "at"),
    )


class EventSubscription(db.Model):
    __tablename__ = "event_subscriptions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(100))
    # "push" (HTTP POST to url) or "poll" (RFC 8936: the receiver fetches).
    method: Mapped[str] = mapped_column(String(8), default="push")
    url: Mapped[str | None] = mapped_column(String(2048))
    # "standard-webhooks" or "set" (RFC 9967 SETs as JWS).
    format: Mapped[str] = mapped_column(String(24))
    # Comma-separated "<resource>.<event>" patterns ("user.*", "*.deactivate"); empty: all.
    event_filter: Mapped[str | None] = mapped_column(String(500))
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    # The webhook secret, encrypted with a key derived from SECRET_KEY (needed to sign).
    secret_encrypted: Mapped[str | None] = mapped_column(Text)
    # The poll bearer token's SHA-256; the token itself is shown once.
    poll_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(220))
    # Events at or below this position existed before the subscription: not delivered.
    start_position: Mapped[int] = mapped_column(BigInteger, default=0)
    # The receiver is down (5xx, 429, no answer): nothing is sent to it before this.
    retry_at: Mapped[datetime | None] = mapped_column(DateTime)


class EventDelivery(db.Model):
    """One event for one subscription: its attempts and outcome (the delivery log)."""

    __tablename__ = "event_deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    subscription_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("event_subscriptions.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(BigInteger)
    event_id: Mapped[str] = mapped_column(String(36))
    # "User:<id>": deliveries of one resource go out in position order.
    resource_key: Mapped[str] = mapped_column(String(100))
    # pending, delivered, parked (too old to retry), rejected (poll setErrs)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    next_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)
    latency_ms: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_event_deliveries_queue", "subscription_id", "status", "position"),
        Index("ix_event_deliveries_log", "subscription_id", "position"),
    )


class EventKey(db.Model):
    """The key pair that signs SETs; the private half is encrypted and never shown."""

    __tablename__ = "event_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    alg: Mapped[str] = mapped_column(String(8))
    private_encrypted: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # One current key: the unique "slot" makes two processes that generate at once collide.
    slot: Mapped[str | None] = mapped_column(String(16), unique=True)


class EventLease(db.Model):
    """Who delivers: one process at a time holds the lease until it expires."""

    __tablename__ = "event_leases"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(100))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
