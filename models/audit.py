"""The request log (every SCIM request) and change records (every write)."""

from datetime import datetime

from sqlalchemy import BigInteger
from sqlalchemy import DateTime
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from .base import JSONType
from .base import db
from .base import utcnow

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL wants BIGINT for millions.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class RequestLog(db.Model):
    __tablename__ = "request_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    request_id: Mapped[str] = mapped_column(String(36), index=True)
    token_name: Mapped[str | None] = mapped_column(String(100))
    token_prefix: Mapped[str | None] = mapped_column(String(32))
    client_ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(2048))
    status: Mapped[int] = mapped_column(Integer)
    duration_ms: Mapped[float] = mapped_column(Integer)
    resource_type: Mapped[str | None] = mapped_column(String(16))
    resource_id: Mapped[str | None] = mapped_column(String(36), index=True)
    error: Mapped[str | None] = mapped_column(String(1024))
    # Tolerated client quirks and ignored attributes, for the admin to see mapping errors.
    notes: Mapped[list | None] = mapped_column(JSONType)


class ChangeRecord(db.Model):
    __tablename__ = "change_records"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    request_id: Mapped[str | None] = mapped_column(String(36), index=True)
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    resource_type: Mapped[str | None] = mapped_column(String(32))
    resource_id: Mapped[str | None] = mapped_column(String(64), index=True)
    resource_name: Mapped[str | None] = mapped_column(String(512))
    changes: Mapped[dict | None] = mapped_column(JSONType)
