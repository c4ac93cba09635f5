"""Verify the audit chains: recompute every hash and link, name what was altered or removed.

A verify covers, per chain, every record from the anchor (the start, or the last prune)
to the newest seal: content, order (no gap in seq), links and the seal checkpoints. Records
not sealed yet are checked on their own (their content hash only).
"""

from collections import deque
from dataclasses import dataclass

from sqlalchemy import select

from services.audit.chain import CHAINS
from services.audit.chain import GENESIS
from services.audit.chain import Chain
from services.audit.chain import content_hash
from services.audit.chain import link
from services.audit.chain import seals
from services.audit.chain import states

BATCH = 2000


@dataclass(frozen=True)
class Problem:
    chain: str
    label: str
    record_id: int | None
    seq: int | None
    message: str

    def __str__(self) -> str:
        where = f" (seq {self.seq})" if self.seq is not None else ""
        who = f"{self.label} {self.record_id}{where}" if self.record_id is not None else self.label
        return f"{who}: {self.message}"


@dataclass
class _Walk:
    """Where the walk of one chain is: the last seq seen and the chain hash it ended with."""

    seq: int
    head: str


def verify(engine, limit: int = 20) -> list[Problem]:
    """Every problem found (at most `limit` per chain), first ones first; empty when intact."""
    problems = []
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            # One snapshot for the whole walk, whatever the sealers do meanwhile.
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        for chain in CHAINS:
            problems += _verify_chain(conn, chain, limit)
        conn.rollback()
    return problems


def _verify_chain(conn, chain: Chain, limit: int) -> list[Problem]:
    t = chain.table
    state = conn.execute(select(states).where(states.c.name == chain.name)).first()
    anchor = state.anchor_seq if state else 0
    last_seq = state.last_seq if state else 0
    walk = _Walk(anchor, state.anchor_hash if state else GENESIS)
    checkpoints = _rows(conn, seals, seals.c.seq, seals.c.chain == chain.name,
                        seals.c.seq > anchor)
    found = []
    for row in _rows(conn, t, t.c.seq, t.c.seq.is_not(None)):
        found += _check_sealed(chain, row, walk, anchor, last_seq, checkpoints)
        if len(found) >= limit:
            return found[:limit]
    found += _check_end(chain, state, walk, last_seq)
    for row in _rows(conn, t, t.c.id, t.c.seq.is_(None)):
        found += _check_content(chain, row)
        if len(found) >= limit:
            break
    return found[:limit]


def _check_sealed(chain, row, walk: _Walk, anchor: int, last_seq: int, checkpoints) -> list:
    def problem(message):
        return Problem(chain.name, chain.label, row.id, row.seq, message)

    if row.seq <= anchor:
        return [problem("its seq is at or before the prune anchor: inserted")]
    found = _check_content(chain, row)
    if row.seq > walk.seq + 1:
        missing = _span(walk.seq + 1, row.seq - 1)
        found.append(problem(f"the record(s) with seq {missing} before it are missing: deleted"))
    elif row.prev_hash != walk.head:
        found.append(problem(f"does not link to the record before it (seq {walk.seq}): "
                             "that record or this one was altered"))
    if row.chain_hash != link(row.prev_hash, row.seq, row.id, row.content_hash):
        found.append(problem("its chain hash does not match its place in the chain: altered"))
    if row.seq > last_seq:
        found.append(problem(f"it is beyond the last seal (seq {last_seq}): inserted"))
    found += _check_checkpoint(chain, row, checkpoints)
    walk.seq, walk.head = row.seq, row.chain_hash
    return found


def _check_checkpoint(chain, row, checkpoints) -> list:
    """Compare with the seal checkpoint at this seq, if one was kept."""
    for seal in checkpoints.peek_upto(row.seq):
        if seal.seq == row.seq and seal.chain_hash != row.chain_hash:
            when = seal.sealed_at.strftime("%Y-%m-%d %H:%M:%S")
            return [Problem(chain.name, chain.label, row.id, row.seq,
                            f"differs from the seal checkpoint of {when} UTC: altered")]
    return []


def _check_content(chain, row) -> list:
    if row.content_hash is None:
        message = "it has no content hash: inserted outside Rollcall"
    elif content_hash(chain.name, row._mapping) != row.content_hash:
        message = "its content does not match its hash: altered"
    else:
        return []
    return [Problem(chain.name, chain.label, row.id, row.seq, message)]


def _check_end(chain, state, walk: _Walk, last_seq: int) -> list:
    if walk.seq < last_seq:
        missing = _span(walk.seq + 1, last_seq)
        return [Problem(chain.name, chain.label, None, None,
                        f"the record(s) with seq {missing} at the end of the chain are "
                        "missing: deleted")]
    if state is not None and walk.seq == last_seq and walk.head != state.last_hash:
        return [Problem(chain.name, chain.label, None, last_seq,
                        "the end of the chain does not match the last seal: altered")]
    return []


def _span(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}-{last}"


class _rows:
    """Rows of `table` in `order`, fetched in keyset batches so memory stays flat."""

    def __init__(self, conn, table, order, *conditions):
        self.conn, self.table, self.order, self.conditions = conn, table, order, conditions
        self.buffer, self.last, self.done = deque(), None, False

    def __iter__(self):
        while self._fill():
            yield self.buffer.popleft()

    def peek_upto(self, key):
        """Consume and return the rows whose order key is at most `key`."""
        out = []
        while self._fill() and getattr(self.buffer[0], self.order.name) <= key:
            out.append(self.buffer.popleft())
        return out

    def _fill(self) -> bool:
        if not self.buffer and not self.done:
            stmt = select(self.table).where(*self.conditions)
            if self.last is not None:
                stmt = stmt.where(self.order > self.last)
            rows = self.conn.execute(stmt.order_by(self.order).limit(BATCH)).all()
            self.done = len(rows) < BATCH
            if rows:
                self.buffer = deque(rows)
                self.last = getattr(rows[-1], self.order.name)
        return bool(self.buffer)
