"""Read-only queries for the audit viewer: filters, keyset pages, detail, timeline, charts.

Pages are keyset pages on the primary key (`id < :cursor ORDER BY id DESC LIMIT n`),
never OFFSET, so page 10,000 costs what page 1 costs. Each filter has an (column, id)
index (models/audit.py).

Free text matches part of a name, userName, email, path or lookup, or exactly an id.
On PostgreSQL the parts are found through pg_trgm GIN indexes (`ILIKE '%q%'` is served
by a trigram index, RFC-free but documented in PostgreSQL's pg_trgm chapter). On SQLite,
which has no such index, a name matches from its start: a range on the lowered column,
which its B-tree serves (`lower(name) >= q AND < q || U+FFFF`), so "david.schmidt" finds
"David.Schmidt@example.com" without a scan; FTS5 was rejected because its tokenizer
splits userNames at "." and "@" and it needs triggers on tables this module does not own.
Ids shown on a page are resolved to names in one query (`names`).
"""

import time
from dataclasses import dataclass
from dataclasses import fields
from dataclasses import replace
from datetime import datetime
from datetime import timedelta

from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import union_all

from models import ChangeRecord
from models import Group
from models import RequestLog
from models import User
from models import db
from models import utcnow
from models.scoping import ALL_DIRECTORIES
from scim.query import escape_like
from services import caches
from services.context import current_directory_id

PER_PAGE = 50
STATUS_CLASSES = (2, 3, 4, 5)
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
RESOURCE_TYPES = ("User", "Group", "Bulk", "Discovery")
CHART_TTL = 30.0
SLACK = timedelta(minutes=10)
MAX_ID = 2**62


@dataclass(frozen=True)
class RequestFilter:
    since: datetime | None = None
    until: datetime | None = None
    status: int | None = None  # a status class: 2, 3, 4 or 5
    errors: bool = False  # status 400 or more (the dashboard's error counts)
    method: str = ""
    resource_type: str = ""
    token: str = ""
    q: str = ""  # a path fragment (has / ? = & or a space), or exactly a name or an id
    all_directories: bool = False  # else the current directory's (services.context) only

    def args(self) -> dict:
        """The set filters as query-string arguments, for links and exports."""
        return _args(self)


@dataclass(frozen=True)
class ChangeFilter:
    since: datetime | None = None
    until: datetime | None = None
    actor: str = ""
    action: str = ""  # exact, or a prefix ending in "." (e.g. "user.")
    resource_type: str = ""
    q: str = ""  # exactly: a resource name (userName), a resource id or a request id
    all_directories: bool = False

    def args(self) -> dict:
        return _args(self)


def _args(f) -> dict:
    out = {}
    for field in fields(f):
        value = getattr(f, field.name)
        if value not in (None, "", False):
            out[field.name] = value.strftime("%Y-%m-%dT%H:%M") if isinstance(value, datetime) \
                else value
    return out


@dataclass(frozen=True)
class Page:
    items: list
    older: int | None  # cursor for the next (older) page
    newer: int | None  # cursor for the previous (newer) page
    names: dict | None = None  # {id: (resource type, name)} for the ids on the page


def request_conditions(f: RequestFilter) -> list:
    r = RequestLog
    conditions = _time(r, f.since, f.until)
    if f.status:
        conditions.append(r.status_class == f.status)
    if f.errors:
        conditions.append(r.status_class >= 4)
    if f.method:
        conditions.append(r.method == f.method.upper())
    if f.resource_type:
        conditions.append(r.resource_type == f.resource_type)
    if f.token:
        conditions.append(r.token_name == f.token)
    if f.q and _path_like(f.q):
        conditions.append(_part_of(r.path, f.q, lowered=False))
    elif f.q:
        ids = [f.q, *_named(f.q)]
        conditions.append(or_(r.request_id == f.q, r.resource_id.in_(ids),
                              _part_of(r.looked_up, f.q)))
    return conditions + _directory(r, f.all_directories, alone=not conditions)


_trigram_by_url: dict = {}


def _trigram() -> bool:
    """Whether PostgreSQL has pg_trgm (models/audit.py then built GIN indexes), per database."""
    key = str(db.engine.url)
    if key not in _trigram_by_url:
        stmt = text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        _trigram_by_url[key] = db.session.execute(stmt).first() is not None
    return _trigram_by_url[key]


def _path_like(q: str) -> bool:
    """A path fragment rather than an id or a name."""
    return q.startswith("/") or any(c in q for c in "?=& ")


def _part_of(column, q: str, lowered: bool = True, sql_lower: bool = False):
    """`column` contains q (PostgreSQL, trigram index) or starts with it (SQLite, B-tree range).

    `lowered` columns hold lower-case text (looked_up, or lower(name) when `sql_lower`);
    paths are not lowered. SQLite's lower() folds ASCII only, so a term compared with a
    lower() expression is folded the same way.
    """
    low = _ascii_lower(q) if sql_lower and db.engine.dialect.name == "sqlite" else q.lower()
    if db.engine.dialect.name == "postgresql":
        if _trigram():
            return column.ilike(f"%{escape_like(q)}%", escape="\\")
        # Without pg_trgm the search indexes are text_pattern_ops B-trees: prefixes only.
        return column.like(f"{escape_like(low if lowered else q)}%", escape="\\")
    if not lowered:  # paths: no lowered index on SQLite; a scan bounded by the page size
        return func.lower(column).like(f"%{escape_like(low)}%", escape="\\")
    return and_(column >= low, column < low + "\uffff")


def _ascii_lower(text: str) -> str:
    return "".join(c.lower() if c.isascii() else c for c in text)


def change_conditions(f: ChangeFilter) -> list:
    c = ChangeRecord
    conditions = _time(c, f.since, f.until)
    if f.actor:
        conditions.append(c.actor == f.actor)
    if f.action.endswith("."):
        # A range, not LIKE, so the (action, id) index serves it on both databases.
        conditions.append(c.action.between(f.action, f.action + "\uffff"))
    elif f.action:
        conditions.append(c.action == f.action)
    if f.resource_type:
        conditions.append(c.resource_type == f.resource_type)
    if f.q:
        conditions.append(or_(c.resource_id == f.q, c.request_id == f.q,
                              _part_of(func.lower(c.resource_name), f.q, sql_lower=True)))
    return conditions + _directory(c, f.all_directories, alone=not conditions)


def _directory(model, all_directories: bool, alone: bool) -> list:
    """The current directory's records, unless all are asked for (one chain holds them all).

    `alone` (no other filter): the (directory_id, id) index pages it. Beside another filter,
    that filter's index must find the rows; `directory_id + 0` keeps the planner off the
    directory's index, which on a one-directory install matches every row.
    """
    if all_directories:
        return []
    column = model.directory_id if alone else model.directory_id + 0
    return [column == current_directory_id()]


def _time(model, since, until) -> list:
    """The time range, plus the id range it spans, found through the `at` index.

    Ids follow time to within seconds (rows are stamped, then inserted), so the first
    row stamped SLACK beyond each end bounds the ids; without them the database would
    walk the primary key from the newest row down to the range.
    """
    out = []
    if since:
        out += [model.at >= since, model.id >= func.coalesce(_first_id(model, since - SLACK), 0)]
    if until:
        out += [model.at < until, model.id < func.coalesce(_first_id(model, until + SLACK), MAX_ID)]
    return out


def _first_id(model, at: datetime):
    return select(model.id).where(model.at >= at).order_by(model.at).limit(1).scalar_subquery()


def _named(q: str) -> list[str]:
    """Ids of users, groups and (deleted) resources whose name contains `q`.

    Every user and group ever written has a change record naming it, so the change
    records' name index finds them all, deleted ones included. Fetched first, so that the
    log query gets a literal list: PostgreSQL then ORs index scans instead of walking the
    whole log with the subquery as a filter.
    """
    stmt = (select(ChangeRecord.resource_id)
            .where(_part_of(func.lower(ChangeRecord.resource_name), q, sql_lower=True),
                   ChangeRecord.resource_type.in_(("User", "Group")))
            .distinct().limit(100))
    return [i for i in db.session.execute(stmt).scalars() if i]


def names(ids) -> dict[str, tuple[str, str]]:
    """{id: (resource type, name)} for users and groups, live or deleted, in one query.

    A live user's userName or group's displayName wins; a deleted one keeps the name its
    latest change record gave it.
    """
    ids = sorted({i for i in ids if isinstance(i, str) and i})
    if not ids:
        return {}
    stmt = union_all(
        select(User.id, literal("User"), User.user_name, literal(0), literal(0))
        .where(User.id.in_(ids)),
        select(Group.id, literal("Group"), Group.display_name, literal(0), literal(0))
        .where(Group.id.in_(ids)),
        select(ChangeRecord.resource_id, ChangeRecord.resource_type, ChangeRecord.resource_name,
               literal(1), ChangeRecord.id)
        .where(ChangeRecord.resource_id.in_(ids), ChangeRecord.resource_name.is_not(None),
               ChangeRecord.resource_type.in_(("User", "Group"))),
    )
    out: dict = {}
    # Live rows first, then change records newest first: the first name seen wins. Ids are
    # unique across directories, and a page may list all of them.
    rows = db.session.execute(stmt.execution_options(**ALL_DIRECTORIES))
    for rid, rtype, name, _rank, _newest in sorted(rows, key=lambda r: (r[3], -r[4])):
        out.setdefault(rid, (rtype, name))
    return out


def member_ids(changes: dict | None) -> list[str]:
    """The member ids a change record lists under members.added and members.removed."""
    out = []
    for key in ("members.added", "members.removed"):
        for side in (changes or {}).get(key) or []:
            out += [i for i in side or [] if isinstance(i, str)]
    return out


def requests(f: RequestFilter, before=None, after=None, limit: int | None = None) -> Page:
    """One page of the request log, newest first, with the names of the resources."""
    page = _page(RequestLog, request_conditions(f), before, after, limit or PER_PAGE)
    return replace(page, names=names(r.resource_id for r in page.items))


def changes(f: ChangeFilter, before=None, after=None, limit: int | None = None) -> Page:
    """One page of change records, newest first."""
    return _page(ChangeRecord, change_conditions(f), before, after, limit or PER_PAGE)


def _page(model, conditions: list, before, after, limit: int) -> Page:
    # The filter's conditions name the directory (or all of them): see _directory.
    stmt = select(model).where(*conditions).execution_options(**ALL_DIRECTORIES)
    if after is not None:
        rows = list(db.session.execute(stmt.where(model.id > after)
                                       .order_by(model.id.asc()).limit(limit + 1)).scalars())
        items = rows[:limit][::-1]
        newer = items[0].id if len(rows) > limit else None
        return Page(items, items[-1].id if items else None, newer)
    if before is not None:
        stmt = stmt.where(model.id < before)
    rows = list(db.session.execute(stmt.order_by(model.id.desc()).limit(limit + 1)).scalars())
    items = rows[:limit]
    older = items[-1].id if len(rows) > limit else None
    newer = items[0].id if before is not None and items else None
    return Page(items, older, newer)


def request_detail(request_log_id: int) -> tuple[RequestLog | None, list[ChangeRecord]]:
    """A logged request and the changes it made."""
    # Records of every directory: the viewer lists them all on request, and ids are global.
    row = db.session.get(RequestLog, request_log_id, execution_options=ALL_DIRECTORIES)
    return row, (_changes_of(row.request_id) if row else [])


def change_detail(change_id: int) -> tuple[ChangeRecord | None, RequestLog | None]:
    """A change record and the SCIM request that made it (none for admin and CLI changes)."""
    change = db.session.get(ChangeRecord, change_id, execution_options=ALL_DIRECTORIES)
    if change is None or not change.request_id:
        return change, None
    stmt = (select(RequestLog).where(RequestLog.request_id == change.request_id).limit(1)
            .execution_options(**ALL_DIRECTORIES))
    return change, db.session.execute(stmt).scalar_one_or_none()


def _changes_of(request_id: str) -> list[ChangeRecord]:
    stmt = select(ChangeRecord).where(ChangeRecord.request_id == request_id).order_by(
        ChangeRecord.id)
    return list(db.session.execute(stmt.execution_options(**ALL_DIRECTORIES)).scalars())


@dataclass(frozen=True)
class Event:
    at: datetime
    kind: str  # "change" or "request"
    id: int
    title: str
    who: str
    status: int | None = None
    detail: str | None = None


def timeline(resource_type: str, resource_id: str, limit: int = 20) -> list[Event]:
    """What happened to one user or group: its changes and its failed requests, newest first."""
    changes = db.session.execute(
        select(ChangeRecord).where(ChangeRecord.resource_type == resource_type,
                                   ChangeRecord.resource_id == resource_id)
        .order_by(ChangeRecord.id.desc()).limit(limit)).scalars()
    failed = db.session.execute(
        select(RequestLog).where(RequestLog.resource_id == resource_id,
                                 RequestLog.status_class >= 4)
        .order_by(RequestLog.id.desc()).limit(limit)).scalars()
    events = [Event(c.at, "change", c.id, c.action, f"{c.actor_kind}:{c.actor}",
                    detail=", ".join(sorted(c.changes or {}))[:200] or None) for c in changes]
    events += [Event(r.at, "request", r.id, f"{r.method} {r.path}", r.token_name or "no token",
                     r.status, r.error) for r in failed]
    return sorted(events, key=lambda e: e.at, reverse=True)[:limit]


def last_request() -> RequestLog | None:
    return db.session.execute(select(RequestLog).order_by(RequestLog.id.desc()).limit(1)).scalar()


def last_change(scim_only: bool = True) -> ChangeRecord | None:
    stmt = select(ChangeRecord).order_by(ChangeRecord.id.desc()).limit(1)
    if scim_only:
        stmt = stmt.where(ChangeRecord.actor_kind == "token")
    return db.session.execute(stmt).scalar()


@dataclass(frozen=True)
class Hour:
    start: datetime
    counts: dict  # {status class: requests}

    @property
    def total(self) -> int:
        return sum(self.counts.values())


_charts: dict = {}
caches.register(_charts.clear)


def hourly(hours: int, now: datetime | None = None) -> list[Hour]:
    """Requests per hour by status class over the last `hours` hours, counted in SQL.

    Cached for 30 s per process: a week of a busy log is millions of rows to count.
    """
    key = (str(db.engine.url), hours)
    cached = _charts.get(key)
    if now is None and cached and time.monotonic() - cached[0] < CHART_TTL:
        return cached[1]
    end = (now or utcnow()).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(hours=hours - 1)
    bucket = _hour_of(RequestLog.at)
    rows = db.session.execute(
        select(bucket, RequestLog.status_class, func.count())
        .where(RequestLog.at >= start).group_by(bucket, RequestLog.status_class)).all()
    counts: dict = {}
    for hour, status_class, n in rows:
        counts.setdefault(_as_datetime(hour), {})[status_class] = n
    result = [Hour(start + timedelta(hours=i), counts.get(start + timedelta(hours=i), {}))
              for i in range(hours)]
    if now is None:
        _charts[key] = (time.monotonic(), result)
    return result


def forget_charts() -> None:
    _charts.clear()


def _hour_of(column):
    if db.engine.dialect.name == "postgresql":
        return func.date_trunc("hour", column)
    return func.strftime("%Y-%m-%d %H:00:00", column)


def _as_datetime(value) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)
