"""Positions: numbered after commit by one sequencer, so a reader by position never skips one.

An id from the database sequence is taken at INSERT and commits later, in any order: a
reader that had passed id 11 would never see id 10 committing after it. So events are
written without a position, and the sequencer, one at a time (a PostgreSQL advisory lock;
on SQLite the write lock), numbers the committed unnumbered events in id order from the
last position + 1. An event that commits late simply gets the next position: positions
are gap-free and only ever grow in the order the sequencer sees commits, as the audit
chain's seq (services/audit/chain.py).

Two changes of one resource are serialised by its row lock, so the later one's event is
inserted after the earlier one committed: it has the larger id, or is sequenced in a
later run. Either way, per resource, position order is commit order.

In the same transaction each numbered event is fanned out into one delivery row per
matching subscription: nothing between numbering and queueing can be lost.
"""

from contextlib import contextmanager

from sqlalchemy import bindparam
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import update

from models import Event
from models import EventDelivery
from models import EventSubscription
from models import utcnow
from models.engine import writing

# pg_advisory_xact_lock key: "rcevents" in ASCII.
LOCK_KEY = 0x72636576656E7473
BATCH = 1000
events = Event.__table__
subscriptions = EventSubscription.__table__
deliveries = EventDelivery.__table__


@contextmanager
def exclusive(engine):
    """A write transaction that one sequencer at a time holds."""
    with writing(engine.dialect.name), engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        yield conn


def sequence(engine) -> int:
    """Number every committed unnumbered event and queue its deliveries; returns how many."""
    with engine.connect() as conn:  # a read first: no write lock when there is nothing new
        if conn.execute(select(events.c.id).where(events.c.position.is_(None)).limit(1)).first() \
                is None:
            return 0
    total = 0
    while True:
        with exclusive(engine) as conn:
            done = _batch(conn)
        total += done
        if done < BATCH:
            return total


def _batch(conn) -> int:
    rows = conn.execute(select(events.c.id, events.c.event_id, events.c.resource_type,
                               events.c.resource_id, events.c.event_type, events.c.at)
                        .where(events.c.position.is_(None)).order_by(events.c.id)
                        .limit(BATCH)).all()
    if not rows:
        return 0
    first = head(conn) + 1
    numbered = [(row, first + i) for i, row in enumerate(rows)]
    conn.execute(update(events).where(events.c.id == bindparam("b_id"))
                 .values(position=bindparam("b_position")),
                 [{"b_id": row.id, "b_position": position} for row, position in numbered])
    _fan_out(conn, numbered)
    return len(rows)


def head(conn) -> int:
    return conn.execute(select(func.coalesce(func.max(events.c.position), 0))).scalar()


def _fan_out(conn, numbered) -> None:
    subs = conn.execute(select(subscriptions)).all()
    now = utcnow()
    queued = [
        {"subscription_id": sub.id, "position": position, "event_id": row.event_id,
         "resource_key": f"{row.resource_type}:{row.resource_id}", "status": "pending",
         "attempts": 0, "created_at": row.at, "next_at": now}
        for row, position in numbered for sub in subs
        if position > sub.start_position and matches(sub, row.resource_type, row.event_type)
    ]
    if queued:
        conn.execute(insert(deliveries), queued)


def matches(sub, resource_type: str, event_type: str) -> bool:
    """The subscription's filter: "<resource>.<event>" patterns, either part "*"."""
    patterns = [p for p in (sub.event_filter or "").split(",") if p]
    if not patterns:
        return True
    resource, event = resource_type.lower(), event_type.lower()
    for pattern in patterns:
        want_resource, _, want_event = pattern.partition(".")
        if want_resource in ("*", resource) and want_event in ("*", event):
            return True
    return False
