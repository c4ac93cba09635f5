"""The request log (every SCIM request), change records (every write) and their hash chains.

Each record gets `content_hash` when it is written. A sealer later gives it `seq` and
links it to its predecessor (`prev_hash`, `chain_hash`); see services/audit/chain.py.
"""

from datetime import datetime

from sqlalchemy import BigInteger
from sqlalchemy import Boolean
from sqlalchemy import DateTime
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import SmallInteger
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from .base import JSONType
from .base import db
from .base import utcnow
from .directory import directory_column

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL wants BIGINT for millions.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def _search_index(name: str, expression, key: str):
    """A pg_trgm GIN index, on PostgreSQL only: it serves `ILIKE '%q%'`.

    SQLite's prefix ranges use the lower(name) and (looked_up, id) B-trees instead
    (services/audit/query.py). The migration builds a text_pattern_ops B-tree under the
    same name where pg_trgm cannot be created.
    """
    return Index(name, expression, postgresql_using="gin",
                 postgresql_ops={key: "gin_trgm_ops"}).ddl_if(dialect="postgresql")


@event.listens_for(db.metadata, "before_create")
def _trigram_extension(_target, connection, **_kw) -> None:
    """create_all (tests, first runs) needs pg_trgm for the search indexes below."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")


class ChainedMixin:
    """Tamper evidence: a hash of the content, then the record's place in its chain."""

    content_hash: Mapped[str | None] = mapped_column(String(64))
    seq: Mapped[int | None] = mapped_column(BigInteger)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    chain_hash: Mapped[str | None] = mapped_column(String(64))


class RequestLog(ChainedMixin, db.Model):
    __tablename__ = "request_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    directory_id: Mapped[int] = directory_column(foreign_key=False)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    request_id: Mapped[str] = mapped_column(String(36), index=True)
    token_name: Mapped[str | None] = mapped_column(String(100))
    token_prefix: Mapped[str | None] = mapped_column(String(32))
    client_ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(2048))
    status: Mapped[int] = mapped_column(Integer)
    # status // 100, stored so the viewer's status filter is an index range, not a scan.
    status_class: Mapped[int | None] = mapped_column(SmallInteger)
    duration_ms: Mapped[float] = mapped_column(Integer)
    resource_type: Mapped[str | None] = mapped_column(String(16))
    resource_id: Mapped[str | None] = mapped_column(String(36))
    # The name a lookup asked for (`filter=userName eq "…"`), lower-cased: searchable by index.
    looked_up: Mapped[str | None] = mapped_column(String(512))
    error: Mapped[str | None] = mapped_column(String(1024))
    # Tolerated client quirks and ignored attributes, for the admin to see mapping errors.
    notes: Mapped[list | None] = mapped_column(JSONType)
    # SCIM writes' bodies, redacted and capped (services/audit/bodies.py). Outside the content
    # hash (services/audit/chain.py) on purpose: they are pruned sooner than the row.
    request_body: Mapped[str | None] = mapped_column(Text)
    response_body: Mapped[str | None] = mapped_column(Text)

    # The viewer pages newest first by id: each filter gets an (column, id) index. The
    # unique index on seq also finds the unsealed records (seq IS NULL) for the sealer.
    __table_args__ = (
        Index("ux_request_log_seq", "seq", unique=True),
        Index("ix_request_log_directory_id_id", "directory_id", "id"),
        # The charts count by hour and status class: an index-only scan of a time range.
        Index("ix_request_log_at_status_class", "at", "status_class"),
        Index("ix_request_log_status_class_id", "status_class", "id"),
        Index("ix_request_log_method_id", "method", "id"),
        Index("ix_request_log_resource_type_id", "resource_type", "id"),
        Index("ix_request_log_resource_id_id", "resource_id", "id"),
        Index("ix_request_log_token_name_id", "token_name", "id"),
        Index("ix_request_log_looked_up_id", "looked_up", "id"),
        _search_index("ix_request_log_looked_up_search", looked_up, "looked_up"),
        _search_index("ix_request_log_path_search", path, "path"),
    )


class ChangeRecord(ChainedMixin, db.Model):
    __tablename__ = "change_records"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    directory_id: Mapped[int] = directory_column(foreign_key=False)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    request_id: Mapped[str | None] = mapped_column(String(36), index=True)
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    resource_type: Mapped[str | None] = mapped_column(String(32))
    resource_id: Mapped[str | None] = mapped_column(String(64))
    resource_name: Mapped[str | None] = mapped_column(String(512))
    changes: Mapped[dict | None] = mapped_column(JSONType)

    __table_args__ = (
        Index("ux_change_records_seq", "seq", unique=True),
        Index("ix_change_records_directory_id_id", "directory_id", "id"),
        Index("ix_change_records_actor_id", "actor", "id"),
        Index("ix_change_records_action_id", "action", "id"),
        Index("ix_change_records_resource", "resource_type", "resource_id", "id"),
        Index("ix_change_records_resource_id_id", "resource_id", "id"),
        Index("ix_change_records_resource_name", func.lower(resource_name)),
        _search_index("ix_change_records_resource_name_search",
                      func.lower(resource_name).label("name_lower"), "name_lower"),
    )


class AuditChain(db.Model):
    """The state of one chain: how far it is sealed, where it starts, the last verify."""

    __tablename__ = "audit_chains"

    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_id: Mapped[int | None] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))
    sealed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # After a prune the chain starts after anchor_seq, whose chain hash was anchor_hash.
    anchor_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    anchor_hash: Mapped[str] = mapped_column(String(64))
    pruned_at: Mapped[datetime | None] = mapped_column(DateTime)
    verified_at: Mapped[datetime | None] = mapped_column(DateTime)
    verify_ok: Mapped[bool | None] = mapped_column(Boolean)
    verify_message: Mapped[str | None] = mapped_column(Text)


class AuditSeal(db.Model):
    """A checkpoint: one sealing run's end of chain, kept to compare against later."""

    __tablename__ = "audit_seals"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    chain: Mapped[str] = mapped_column(String(16))
    seq: Mapped[int] = mapped_column(BigInteger)
    record_id: Mapped[int] = mapped_column(BigInteger)
    chain_hash: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(Integer)
    sealed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (Index("ux_audit_seals_chain_seq", "chain", "seq", unique=True),)

