"""Orphans of the current directory: accounts the client no longer reads, or nobody touches.

Unread: Entra's initial cycle, and a restart, reads every in-scope user, by a lookup on the
matching attribute (`GET /Users?filter=userName eq "…"`) or by id (`GET /Users/<id>`); an
incremental cycle reads only what changed (/work/shared/reference/entra-scim.md §4). So a
user that the last *full* cycle did not read is out of the client's scope, yet was never
disabled or deleted here (e.g. after a scoping change).

Cycles are found as the Health page finds them (services/ops/cycles.py): per connection,
a pause longer than the gap ends one. A cycle counts as full when the users it read are at
least FULL_SHARE of the directory's visible users; the last such cycle of the last
HISTORY wins. Users created after it ended were not there to be read and are left out
(a user it created was looked up first, so it counts as read).
The names read are held as a set of matching keys while users stream past in batches:
memory follows the cycle's reads, never the users' documents.

Untouched: users whose last change is older than a number of days, paged in SQL.
"""

import math
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta

from sqlalchemy import func
from sqlalchemy import select

from models import RequestLog
from models import User
from models import db
from scim import casefold
from services.context import current_directory_id
from services.ops import cycles
from services.ops.clients import family
from services.readmodels.directory import PER_PAGE
from services.readmodels.directory import Page
from services.readmodels.directory import paginate

FULL_SHARE = 0.5
HISTORY = timedelta(days=30)
BATCH = 1000
_ROW = (User.id, User.user_name, User.display_name, User.active, User.seat_waiting,
        User.hidden, User.last_modified)


@dataclass
class FullCycle:
    connection: cycles.Connection
    start: datetime
    end: datetime
    requests: int
    read: int = 0  # users of the directory it read
    keys: set = field(default_factory=set, repr=False)  # matching keys looked up
    ids: set = field(default_factory=set, repr=False)  # ids read by GET /Users/<id>


def last_full_cycle(now: datetime, gap: timedelta) -> FullCycle | None:
    """The newest cycle of the last HISTORY that read at least FULL_SHARE of the users."""
    need = math.ceil(FULL_SHARE * _visible_count())
    if not need:
        return None
    found = cycles.split(db.session.execute(_log_rows(now)), gap)
    candidates = [(c, conn) for conn, runs in found.items() for c in runs if c.requests >= need]
    for cycle, conn in sorted(candidates, key=lambda pair: pair[0].end, reverse=True):
        full = _reads(conn, cycle)
        full.read = sum(1 for row in _existing(full.end) if _was_read(full, row))
        if full.read >= need:
            return full
    return None


def unread(full: FullCycle, page: int = 1, per_page: int = PER_PAGE) -> Page:
    """A page of the users that existed when `full` ended and that it did not read."""
    first, total, rows = (page - 1) * per_page, 0, []
    for row in _existing(full.end):
        if _was_read(full, row):
            continue
        if first <= total < first + per_page:
            rows.append(row)
        total += 1
    last_page = max(1, math.ceil(total / per_page))
    if page > last_page:
        return unread(full, last_page, per_page)
    return Page(rows, total, page, per_page)


def untouched(days: int, now: datetime, page: int = 1, per_page: int = PER_PAGE) -> Page:
    """A page of visible users unchanged for more than `days` days, the longest unchanged first."""
    stmt = (select(*_ROW).where(*_visible(), User.last_modified < now - timedelta(days=days))
            .order_by(User.last_modified, User.user_name_key, User.id))
    return paginate(stmt, page, per_page, scalars=False)


def _visible_count() -> int:
    stmt = select(func.count()).select_from(User).where(*_visible())
    return db.session.execute(stmt).scalar() or 0


def _log_rows(now: datetime):
    columns = (RequestLog.id, RequestLog.at, RequestLog.token_name, RequestLog.user_agent,
               RequestLog.method, RequestLog.resource_type, RequestLog.status, RequestLog.path)
    return (select(*columns)
            .where(RequestLog.directory_id == current_directory_id(),
                   RequestLog.at >= now - HISTORY, RequestLog.at <= now)
            .order_by(RequestLog.at, RequestLog.id).execution_options(yield_per=BATCH))


def _reads(conn: cycles.Connection, cycle: cycles.Cycle) -> FullCycle:
    """The users one connection's cycle read: lookups by userName and GETs by id."""
    full = FullCycle(conn, cycle.start, cycle.end, cycle.requests)
    token = (RequestLog.token_name == conn.token_name if conn.token_name
             else RequestLog.token_name.is_(None))
    stmt = (select(RequestLog.looked_up, RequestLog.resource_id, RequestLog.user_agent)
            .where(RequestLog.directory_id == current_directory_id(),
                   RequestLog.id >= cycle.first_id, RequestLog.id <= cycle.last_id, token,
                   RequestLog.method == "GET", RequestLog.resource_type == "User",
                   RequestLog.status < 400)
            .execution_options(yield_per=BATCH))
    for looked_up, resource_id, agent in db.session.execute(stmt):
        if family(agent) != conn.family:
            continue
        if looked_up:
            full.keys.add(casefold.key(looked_up))
        elif resource_id:
            full.ids.add(resource_id)
    return full


def _existing(until: datetime):
    """Visible users created by `until`, streamed by userName."""
    stmt = (select(*_ROW, User.user_name_key)
            .where(*_visible(), User.created <= until)
            .order_by(User.user_name_key, User.id).execution_options(yield_per=BATCH))
    return db.session.execute(stmt)


def _visible() -> tuple:
    return User.directory_id == current_directory_id(), User.hidden.is_(False)


def _was_read(full: FullCycle, row) -> bool:
    return row.id in full.ids or row.user_name_key in full.keys
