"""Change records: who changed what, written in the same transaction as the change."""

import functools
from dataclasses import dataclass

from sqlalchemy import bindparam
from sqlalchemy import insert

from models import ChangeRecord
from models import db
from models import utcnow
from services import events
from services import tx
from services.audit import chain
from services.audit.chain import content_hash
from services.context import current_directory_id
from services.context import current_request_id

REDACTED = "[redacted]"
SECRET_KEYS = {"password", "secret", "token", "token_hash", "password_hash"}


@dataclass(frozen=True)
class Target:
    """What a change record is about: its type ("User", "Group", ...), id and name."""

    type: str | None
    id: str | None = None
    name: str | None = None


def record(session, actor, action: str, target: Target, changes: dict | None) -> None:
    """Add a change record to the caller's transaction, hashed for the audit chain.

    A Core INSERT, not an ORM object: its flush (the unit of work, for one row) cost more
    than the rest of a member add's change record and outbox event together.
    """
    record_many(session, [entry(actor, action, target, changes)])


_INSERT = insert(ChangeRecord.__table__)  # built once: every write sends it
# The columns `entry` fills, in the statement that also inserts the event (`_with_event`).
RECORD_KEYS = ("at", "directory_id", "request_id", "actor_kind", "actor", "action",
               "resource_type", "resource_id", "resource_name", "changes", "content_hash")


def record_many(session, entries: list[dict]) -> None:
    """Insert change records built by `entry` with one executemany INSERT, in list order.

    On the session's connection: Session.execute's path costs more than a Core INSERT
    needs, on every write (docs/performance.md).
    """
    if not entries:
        return
    connection = session.connection()
    event = events.event_row(entries[0]) if len(entries) == 1 else None
    if event is not None and connection.dialect.name == "postgresql":
        # Both rows in one statement, a data-modifying WITH: a round trip fewer per write.
        record = {f"record_{key}": value for key, value in entries[0].items()}
        connection.execute(_with_event(), {**record, **event,
                                           "directory_id": entries[0]["directory_id"]})
        return
    connection.execute(_INSERT, entries)
    events.emit(session, entries)


@functools.cache
def _with_event():
    """INSERT the event with the change record as its WITH (PostgreSQL), built once."""
    table = ChangeRecord.__table__
    record = insert(table).values({key: bindparam(f"record_{key}", type_=table.c[key].type)
                                   for key in RECORD_KEYS}).cte("record")
    return events.INSERT.add_cte(record)


def entry(actor, action: str, target: Target, changes: dict | None) -> dict:
    """The columns of a change record as `record` writes it, content hash included."""
    fields = {
        "at": utcnow(),
        "directory_id": current_directory_id(),
        "request_id": current_request_id(),
        "actor_kind": actor.kind,
        "actor": actor.name,
        "action": action,
        "resource_type": target.type,
        "resource_id": target.id,
        "resource_name": target.name,
        "changes": redact(changes) if changes else None,
    }
    return {**fields, "content_hash": content_hash("changes", fields)}


def log_event(actor, action: str, target: Target, changes: dict | None = None) -> None:
    """Record an event that changes nothing else (e.g. an audit prune), in its own transaction."""
    with tx.write() as session:
        record(session, actor, action, target, changes)


def chain_status() -> list[dict]:
    """Where each audit chain stands (services/audit/chain.py `status`)."""
    return chain.status(db.session)


def redact(changes: dict) -> dict:
    return {k: ([REDACTED, REDACTED] if _secret(k) else v) for k, v in changes.items()}


def _secret(key: str) -> bool:
    last = key.replace(":", ".").rsplit(".", 1)[-1]
    return last.lower() in SECRET_KEYS


def diff(before: dict, after: dict, prefix: str = "") -> dict:
    """Attribute-level differences: {path: [before, after]} for each changed attribute."""
    out = {}
    for key in sorted(set(before) | set(after), key=str):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        path = f"{prefix}{key}"
        if isinstance(old, dict) and isinstance(new, dict):
            # Extension URNs join their attributes with ":", complex attributes with ".".
            out.update(diff(old, new, path + (":" if key.startswith("urn:") else ".")))
        else:
            out[path] = [old, new]
    return out
