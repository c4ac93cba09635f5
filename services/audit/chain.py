"""Tamper evidence for the audit trail: content hashes, sealing into chains, verify, prune.

Writers never touch the chain: each record gets a SHA-256 of its canonical content when
it is written (no lock, no read of other rows). A sealer, run by the request-log thread
every few seconds and by the `audit` commands, then numbers unsealed records (`seq`) in
id order and links each to the one before (`chain_hash` = H(prev_hash, seq, id,
content_hash)). Only one sealer runs at a time (a PostgreSQL advisory lock; on SQLite the
write lock), and never inside a SCIM request's transaction. A record that commits late
(its id below already-sealed ones) simply gets the next seq.

The request log and the change records are two chains ("requests", "changes"): they are
written by different paths and neither should wait for the other. Each chain spans every
directory: a record names its directory, inside its content hash (models/directory.py).
"""

import hashlib
import json
import logging
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from itertools import takewhile

from sqlalchemy import Table
from sqlalchemy import bindparam
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import update

from models import ChangeRecord
from models import RequestLog
from models import utcnow
from models.audit import AuditChain
from models.audit import AuditSeal
from models.directory import DEFAULT_ID
from models.engine import writing

log = logging.getLogger(__name__)

GENESIS = "0" * 64
# pg_advisory_xact_lock key: "rollcall" in ASCII.
LOCK_KEY = 0x726F6C6C63616C6C
SEAL_BATCH = {"sqlite": 500}  # write-lock holds of ~15 ms on SQLite; 5000 elsewhere
CHECKPOINT_EVERY = timedelta(seconds=60)
PRUNE_BATCH = 5000

REQUEST_FIELDS = ("at", "request_id", "token_name", "token_prefix", "client_ip", "user_agent",
                  "method", "path", "status", "status_class", "duration_ms", "resource_type",
                  "resource_id", "looked_up", "error", "notes")
CHANGE_FIELDS = ("at", "request_id", "actor_kind", "actor", "action", "resource_type",
                 "resource_id", "resource_name", "changes")


@dataclass(frozen=True)
class Chain:
    name: str
    table: Table
    fields: tuple
    label: str


CHAINS = (
    Chain("requests", RequestLog.__table__, REQUEST_FIELDS, "request-log record"),
    Chain("changes", ChangeRecord.__table__, CHANGE_FIELDS, "change record"),
)
BY_NAME = {chain.name: chain for chain in CHAINS}
states = AuditChain.__table__
seals = AuditSeal.__table__


def content_hash(chain: str, record) -> str:
    """SHA-256 over the canonical JSON of a record's fields (a dict or a row mapping)."""
    body = {}
    for name in BY_NAME[chain].fields:
        value = record.get(name)
        body[name] = value if value is None or isinstance(value, str | int) else _plain(value)
    # A record of another directory than the default hashes its directory too; the default
    # directory's leaves it out, so records written before directories still verify.
    directory_id = record.get("directory_id")
    if directory_id not in (None, DEFAULT_ID):
        body["directory_id"] = directory_id
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"rollcall-audit-v1:{chain}:{canonical}".encode()).hexdigest()


def link(prev_hash: str, seq: int, record_id: int, record_hash: str | None) -> str:
    return hashlib.sha256(f"{prev_hash}:{seq}:{record_id}:{record_hash or ''}".encode()).hexdigest()


def _plain(value):
    """JSON values as both databases give them back (JSONB returns 1e20 as an integer)."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


@contextmanager
def _exclusive(engine, wait: bool):
    """A write transaction held by one sealer or pruner at a time; yields None if busy."""
    with writing(engine.dialect.name), engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            fn = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
            if conn.execute(text(f"SELECT {fn}(:key)"), {"key": LOCK_KEY}).scalar() is False:
                yield None
                return
        yield conn


def seal(engine, wait: bool = False, checkpoint: bool = False) -> dict | None:
    """Link every unsealed record into its chain; returns {chain: records sealed}.

    Returns None when another process is sealing (it will seal these records too).
    """
    batch = SEAL_BATCH.get(engine.dialect.name, 5000)
    totals = {chain.name: 0 for chain in CHAINS}
    while True:
        with _exclusive(engine, wait) as conn:
            if conn is None:
                return None
            done = {c.name: _seal_batch(conn, c, batch, checkpoint) for c in CHAINS}
        for name, count in done.items():
            totals[name] += count
        if all(count < batch for count in done.values()):
            return totals


def _seal_batch(conn, chain: Chain, batch: int, checkpoint: bool) -> int:
    t = chain.table
    state = _state(conn, chain.name)
    rows = conn.execute(select(t.c.id, t.c.content_hash).where(t.c.seq.is_(None))
                        .order_by(t.c.id).limit(batch)).all()
    if not rows:
        return 0
    seq, head, updates = state.last_seq, state.last_hash, []
    for row in rows:
        seq += 1
        new = link(head, seq, row.id, row.content_hash)
        updates.append({"b_id": row.id, "b_seq": seq, "b_prev": head, "b_hash": new})
        head = new
    conn.execute(update(t).where(t.c.id == bindparam("b_id")).values(
        seq=bindparam("b_seq"), prev_hash=bindparam("b_prev"), chain_hash=bindparam("b_hash")),
        updates)
    now = utcnow()
    conn.execute(update(states).where(states.c.name == chain.name).values(
        last_seq=seq, last_id=rows[-1].id, last_hash=head, sealed_at=now))
    if checkpoint or _checkpoint_due(conn, chain.name, now):
        conn.execute(insert(seals).values(chain=chain.name, seq=seq, record_id=rows[-1].id,
                                          chain_hash=head, count=len(rows), sealed_at=now))
    # Shipped off the box with the app's log, the head lets a rewrite of the whole chain show.
    log.info("audit chain %s sealed to seq %d (record %d): %s", chain.name, seq, rows[-1].id, head)
    return len(rows)


def _checkpoint_due(conn, name: str, now: datetime) -> bool:
    last = conn.execute(select(seals.c.sealed_at).where(seals.c.chain == name)
                        .order_by(seals.c.seq.desc()).limit(1)).scalar()
    return last is None or now - last >= CHECKPOINT_EVERY


def _state(conn, name: str):
    state = conn.execute(select(states).where(states.c.name == name)).first()
    if state is None:
        conn.execute(insert(states).values(name=name, last_seq=0, last_hash=GENESIS,
                                           anchor_seq=0, anchor_hash=GENESIS))
        state = conn.execute(select(states).where(states.c.name == name)).first()
    return state


def prune(engine, days: int) -> dict:
    """Delete sealed records older than `days`, oldest first; returns {chain: deleted}.

    Unsealed records are never deleted. The chain hash of the last deleted record
    becomes the chain's anchor, so what remains still verifies.
    """
    cutoff = utcnow() - timedelta(days=days)
    totals = {}
    for chain in CHAINS:
        totals[chain.name] = 0
        while True:
            with _exclusive(engine, wait=True) as conn:
                done = _prune_batch(conn, chain, cutoff)
            totals[chain.name] += done
            if done < PRUNE_BATCH:
                break
    return totals


def _prune_batch(conn, chain: Chain, cutoff: datetime) -> int:
    t = chain.table
    state = _state(conn, chain.name)
    rows = conn.execute(select(t.c.seq, t.c.at, t.c.chain_hash)
                        .where(t.c.seq > state.anchor_seq)
                        .order_by(t.c.seq).limit(PRUNE_BATCH)).all()
    old = list(takewhile(lambda r: r.at < cutoff, rows))
    if not old:
        return 0
    last = old[-1]
    conn.execute(delete(t).where(t.c.seq > state.anchor_seq, t.c.seq <= last.seq))
    conn.execute(delete(seals).where(seals.c.chain == chain.name, seals.c.seq <= last.seq))
    conn.execute(update(states).where(states.c.name == chain.name).values(
        anchor_seq=last.seq, anchor_hash=last.chain_hash, pruned_at=utcnow()))
    return len(old)


def record_verify(engine, problems: list) -> None:
    """Store a verify's outcome on each chain, for the viewer."""
    now = utcnow()
    with writing(engine.dialect.name), engine.begin() as conn:
        for chain in CHAINS:
            _state(conn, chain.name)
            mine = [str(p) for p in problems if p.chain == chain.name]
            conn.execute(update(states).where(states.c.name == chain.name).values(
                verified_at=now, verify_ok=not mine,
                verify_message="; ".join(mine[:3]) if mine else None))


def status(session) -> list[dict]:
    """Each chain's state for the viewer: sealed up to, unsealed count, anchor, last verify."""
    out = []
    for chain in CHAINS:
        t = chain.table
        state = session.execute(select(states).where(states.c.name == chain.name)).first()
        unsealed = session.execute(select(func.count()).select_from(t)
                                   .where(t.c.seq.is_(None))).scalar()
        out.append({"name": chain.name, "label": chain.label, "state": state,
                    "unsealed": unsealed})
    return out
