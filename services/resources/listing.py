"""Paging and sorting shared by the Users and Groups searches (RFC 7644 §3.4.2.3–§3.4.2.4).

A page should cost the same wherever it is in the list (issue 6):

- Rows to skip are skipped in the index (a deferred join); only the page's rows are read.
- Keyset hints: serving a page remembers, per process, the sort key of its first row and
  of the next page's. A later request at or past that position seeks to the key instead
  of skipping rows, so a client walking the pages never skips any.
- Totals are remembered per filter, so a walk counts once.

Both memories hold only while the *stamp* is unchanged: how far the change-record chain
is sealed and how many records wait for the sealer, read by the page's own statement (one
snapshot). Every write to users, groups or memberships commits a change record in its
transaction (services/audit/__init__.py). A new record raises the waiting count until the sealer
numbers it, which raises the sealed seq for good (services/audit/chain.py); waiting
records are never deleted. So an equal stamp means the same rows, and a hinted page is
exactly the one OFFSET gives. Rows written around the services (SQL by hand, the bench
seeder) show in hints and totals only once the next change record is written.

Cursor paging (RFC 9865) needs no memory: a cursor carries the key of the row it
continues from (services/resources/cursor_pages.py), so every page is one seek on the
listing index, as cheap at the millionth row as at the first.
"""

import json
import threading
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Text
from sqlalchemy import bindparam
from sqlalchemy import cast
from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import select
from sqlalchemy import tuple_

from models import ChangeRecord
from models import db
from models.audit import AuditChain
from scim import filter as scim_filter
from scim import query
from scim.errors import InvalidPath
from scim.errors import InvalidValue
from services.context import current_directory_id

# Hints pay off once a page would skip this many rows; below it OFFSET costs as much.
MIN_SKIP = 1000
# A later page may show a count this old after a write (RFC 7644 §3.4.2.4: results across
# pages may be inconsistent). Page 1 never does: its count is exact.
COUNT_TTL = 5.0
# More unsealed change records than this: writes are under way, remember nothing.
UNSEALED_CAP = 1000
QUERIES = 64  # filters remembered per process (least recently used go first)
HINTS = 128  # hinted positions per filter


@dataclass(frozen=True)
class Search:
    filter: str | None = None
    start_index: int = 1
    count: int = 100
    sort_by: str | None = None
    descending: bool = False
    # RFC 9865: "" asks for the first page; the signer makes and checks cursors.
    cursor: str | None = None
    signer: object | None = None


class Page(tuple):
    """(totalResults, rows), with the cursors of the pages before and after (RFC 9865 §2).

    A tuple, so `total, rows = search(...)` keeps working for index paging.
    """

    def __new__(cls, total, rows, next_cursor=None, previous_cursor=None):
        page = super().__new__(cls, (total, rows))
        page.next_cursor = next_cursor
        page.previous_cursor = previous_cursor
        return page


class Stamp(NamedTuple):
    sealed: int
    unsealed: int


class Row(NamedTuple):
    """A listed user or group: what services/resources/serialize.py reads, without an ORM object."""

    id: str
    data: dict
    version: int
    created: datetime
    last_modified: datetime


def page(model, conditions: list, order: list, params) -> tuple[int, list]:
    """(totalResults, the page's Rows).

    `order` must be the one `order()` built for these params. With a cursor the result
    is a Page carrying nextCursor and previousCursor.
    """
    # Core statements (the ORM's scoping does not see them): the directory is a condition,
    # so the remembered statements, hints and totals are per directory too.
    conditions = [model.directory_id == current_directory_id(), *conditions]
    if params.cursor is not None:
        # Imported here: cursor_pages builds on this module's Row, Page and memory.
        from services.resources import cursor_pages

        return cursor_pages.page(model, conditions, order, params)
    memory, key = _memory(), _query_key(model, conditions, order)
    rows, stamp, total = [], None, None
    if params.count > 0:
        rows, stamp, has_more = _page_rows(memory, key, model, conditions, order, params)
        if not has_more and (rows or params.start_index == 1):
            total = params.start_index - 1 + len(rows)  # the page reaches the end
    if total is None:
        total = memory.count(key, stamp, params.start_index)
        if total is not None:
            return total, rows
        total, stamp = _count(model, conditions)
    memory.counted(key, total, stamp)
    return total, rows


def order(params, resolve, model) -> list:
    """ORDER BY for sortBy/sortOrder, or creation order; the id breaks ties so pages are stable.

    :raise InvalidValue: for a sortBy that is not an attribute path.
    """
    if not params.sort_by:
        return [model.created, model.id]
    try:
        path = scim_filter.parse_path(params.sort_by).attr
    except InvalidPath as error:
        raise InvalidValue(f"sortBy: {error.detail}") from error
    return [query.order_by(path, resolve, params.descending), model.id]


def _page_rows(memory, key, model, conditions, order, params):
    """(rows, stamp, has_more): a seek from a valid hint, else OFFSET."""
    start, count = params.start_index, params.count
    keyset = key is not None and not params.sort_by
    hint = memory.hint(key, start) if keyset else None
    if hint is not None:
        at, (created, id_), stamp = hint
        rows, found = _fetch(memory, key, model, conditions, order, start - at, count,
                             (created, id_))
        if not rows or found != stamp:
            memory.forget(key)  # written since: every hint of this filter is stale
            hint = None
    if hint is None:
        rows, stamp = _fetch(memory, key, model, conditions, order, start - 1, count)
    if keyset:
        memory.remember(key, start, count, rows, stamp)
    return rows[:count], stamp, len(rows) > count


def _fetch(memory, key, model, conditions, order, skip: int, count: int, after=None):
    """(the page and one row more, which starts the next page; the stamp).

    `after` is the (created, id) a seek starts at.
    """
    shape = (key, after is not None, skip > 0)
    stmt = memory.statement(shape) if key is not None else None
    if stmt is None:
        stmt = _statement(model, conditions, order, *shape[1:])
        if key is not None:
            memory.keep_statement(shape, stmt)
    values = {"n": count + 1, "skip": skip}
    if after is not None:
        values.update(after_created=after[0], after_id=after[1])
    found = db.session.connection().execute(stmt, values).all()
    if not found:
        return [], None
    # JSON text decoded here: psycopg's jsonb loader costs twice as much (issue 6).
    rows = [Row(id_, json.loads(text), version, created, modified)
            for id_, text, version, created, modified, _, _ in found]
    return rows, _stamp(found[0])


def _statement(model, conditions: list, order: list, seek: bool, skip: bool):
    """The page query with its positions as parameters, so it is built once per filter."""
    columns = [model.id, cast(model.data, Text).label("data"), model.version, model.created,
               model.last_modified, *_STAMP]
    if seek:
        start = tuple_(bindparam("after_created", type_=model.created.type),
                       bindparam("after_id", type_=model.id.type))
        conditions = [*conditions, tuple_(model.created, model.id) >= start]
    if skip:
        # Deferred join: skipped rows are read from the index, never from the table.
        ids = (select(model.id).where(*conditions).order_by(*order)
               .offset(bindparam("skip")).limit(bindparam("n")))
        stmt = select(*columns).where(model.id.in_(ids.scalar_subquery()))
    else:
        stmt = select(*columns).where(*conditions)
    return stmt.order_by(*order).limit(bindparam("n"))


def _count(model, conditions: list) -> tuple[int, Stamp]:
    stmt = select(func.count(), *_STAMP).select_from(model).where(*conditions)
    row = db.session.connection().execute(stmt).one()
    return row[0], _stamp(row)


def _stamp_columns() -> list:
    """How far the change records are sealed, and how many wait (at most UNSEALED_CAP + 1)."""
    sealed = (select(AuditChain.last_seq).where(AuditChain.name == "changes")
              .scalar_subquery())
    waiting = select(literal(1)).where(ChangeRecord.seq.is_(None)).limit(UNSEALED_CAP + 1)
    unsealed = select(func.count()).select_from(waiting.subquery()).scalar_subquery()
    return [func.coalesce(sealed, -1).label("stamp_sealed"), unsealed.label("stamp_unsealed")]


_STAMP = _stamp_columns()  # built once: the same statement parts every time


def _stamp(row) -> Stamp | None:
    if row.stamp_unsealed > UNSEALED_CAP:
        return None
    return Stamp(row.stamp_sealed, row.stamp_unsealed)


def _query_key(model, conditions: list, order: list):
    """A key equal for equal SQL and parameters (SQLAlchemy's statement cache key)."""
    found = select(model.id).where(*conditions).order_by(*order)._generate_cache_key()
    if found is None:
        return None
    return found.key, tuple(repr(b.effective_value) for b in found.bindparams)


class _Recent(OrderedDict):
    """A small least-recently-used map."""

    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def get(self, key, default=None):
        if key not in self:
            return default
        self.move_to_end(key)
        return self[key]

    def put(self, key, value):
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)
        return value


class _Memory:
    """Hints and counts of one database, shared by the threads of a process."""

    def __init__(self):
        self.lock = threading.Lock()
        self.hints = _Recent(QUERIES)  # query key -> {position: (sort key, stamp)}
        self.counts = _Recent(QUERIES)  # query key -> (total, stamp, when)
        self.statements = _Recent(4 * QUERIES)  # (query key, seek, skip) -> statement
        self.stamp = None  # the latest stamp seen: hints of another one are not tried

    def hint(self, key, start: int) -> tuple | None:
        """(position, sort key, stamp) of the nearest hint before `start` that saves work."""
        with self.lock:
            hints = self.hints.get(key) or {}
            at = max((at for at, (_, stamp) in hints.items()
                      if at <= start and stamp == self.stamp), default=None)
            if at is None or at - 1 < MIN_SKIP:
                return None
            return (at, *hints[at])

    def remember(self, key, start: int, count: int, rows: list, stamp) -> None:
        """Note where this page and the next one start (rows holds one row more)."""
        if stamp is None:
            return
        with self.lock:
            self.stamp = stamp
            hints = self.hints.get(key)
            if hints is None:
                hints = self.hints.put(key, {})
            hints[start] = ((rows[0].created, rows[0].id), stamp)
            if len(rows) > count:
                hints[start + count] = ((rows[count].created, rows[count].id), stamp)
            while len(hints) > HINTS:
                del hints[next(iter(hints))]

    def statement(self, shape):
        with self.lock:
            return self.statements.get(shape)

    def keep_statement(self, shape, stmt) -> None:
        with self.lock:
            self.statements.put(shape, stmt)

    def forget(self, key) -> None:
        with self.lock:
            self.hints.pop(key, None)

    def count(self, key, stamp, start: int) -> int | None:
        """A remembered total: exact when the stamp is the same, else only after page 1."""
        with self.lock:
            found = self.counts.get(key) if key is not None else None
        if found is None:
            return None
        total, counted, when = found
        if counted == stamp or (start > 1 and time.monotonic() - when < COUNT_TTL):
            return total
        return None

    def counted(self, key, total: int, stamp) -> None:
        if key is not None and stamp is not None:
            with self.lock:
                self.counts.put(key, (total, stamp, time.monotonic()))


# One memory per engine: a process may serve several databases (the test suite does).
_memories: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _memory() -> _Memory:
    engine = db.engine
    memory = _memories.get(engine)
    if memory is None:
        with _lock:
            memory = _memories.setdefault(engine, _Memory())
    return memory
