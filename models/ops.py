"""Operations: alerts that fired, their deliveries, the delivery channels, the scheduler lease."""

from datetime import datetime

from sqlalchemy import Boolean
from sqlalchemy import DateTime
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from .base import JSONType
from .base import db
from .base import utcnow


class OpsAlert(db.Model):
    """One firing of one condition, open until the condition clears."""

    __tablename__ = "ops_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # The condition, e.g. "token-expiry:entra-prod:7"; at most one open alert per key.
    key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(300))
    message: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    fired_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column(DateTime)
    clear_message: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_ops_alerts_key_cleared_at", "key", "cleared_at"),)


class OpsChannel(db.Model):
    """Where alerts go: "email" (SMTP) or "webhook". The secret is write-only in the UI."""

    __tablename__ = "ops_channels"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    config: Mapped[dict | None] = mapped_column(JSONType)
    # Sealed under SECRET_KEY (services/sealed.py), "sealed:" + a Fernet token.
    secret: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)


class OpsDelivery(db.Model):
    """One message to one channel: an alert firing or clearing, or a test; retried until sent."""

    __tablename__ = "ops_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("ops_alerts.id", ondelete="CASCADE"),
                                                 index=True)
    channel: Mapped[str] = mapped_column(String(16))
    event: Mapped[str] = mapped_column(String(16))  # "fired", "cleared" or "test"
    subject: Mapped[str] = mapped_column(String(300))
    payload: Mapped[dict] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(String(1000))

    __table_args__ = (Index("ix_ops_deliveries_status_next_attempt_at", "status",
                            "next_attempt_at"),)


class OpsLease(db.Model):
    """Who runs the scheduled checks: one process at a time across workers and hosts."""

    __tablename__ = "ops_leases"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    ran_at: Mapped[datetime | None] = mapped_column(DateTime)
