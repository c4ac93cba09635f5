"""Read-only queries for the audit viewer: filters, keyset pages, detail, timeline, charts.

Pages are keyset pages on the primary key (`id < :cursor ORDER BY id DESC LIMIT n`),
never OFFSET, so page 10,000 costs what page 1 costs. Each filter has an (column, id)
index (models/audit.py). Free text is looked up by index when it is an id or a name;
a path fragment scans newest first and stops when a page is full (a time range bounds it).
"""

import time
from dataclasses import dataclass
from dataclasses import fields
from datetime import datetime
from datetime import timedelta

from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import union

from models import ChangeRecord
from models import Group
from models import RequestLog
from models import User
from models import db
from models import utcnow
from scim import casefold
from scim.query import escape_like

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
    method: str = ""
    resource_type: str = ""
    token: str = ""
    q: str = ""  # a path fragment (has / ? = & or a space), or exactly a name or an id

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

    def args(self) -> dict:
        return _args(self)


def _args(f) -> dict:
    out = {}
    for field in fields(f):
        value = getattr(f, field.name)
        if value not in (None, ""):
            out[field.name] = value.strftime("%Y-%m-%dT%H:%M") if isinstance(value, datetime) \
                else value
    return out


@dataclass(frozen=True)
class Page:
    items: list
    older: int | None  # cursor for the next (older) page
    newer: int | None  # cursor for the previous (newer) page


def request_conditions(f: RequestFilter) -> list:
    r = RequestLog
    conditions = _time(r, f.since, f.until)
    if f.status:
        conditions.append(r.status_class == f.status)
    if f.method:
        conditions.append(r.method == f.method.upper())
    if f.resource_type:
        conditions.append(r.resource_type == f.resource_type)
    if f.token:
        conditions.append(r.token_name == f.token)
    if f.q and _path_like(f.q):
        conditions.append(r.path.ilike(f"%{escape_like(f.q)}%", escape="\\"))
    elif f.q:
        ids = [f.q, *_named(f.q)]
        conditions.append(or_(r.request_id == f.q, r.resource_id.in_(ids),
                              r.looked_up == f.q.lower()))
    return conditions


def _path_like(q: str) -> bool:
    """A path fragment (scanned) rather than an id or a name (looked up by index)."""
    return q.startswith("/") or any(c in q for c in "?=& ")


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
                              func.lower(c.resource_name) == f.q.lower()))
    return conditions


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
    """Ids of users, groups and (deleted) resources whose name is exactly `q`.

    Fetched first, so that the log query gets a literal list: PostgreSQL then ORs index
    scans instead of walking the whole log with the subquery as a filter.
    """
    low = q.lower()
    stmt = union(
        select(User.id).where(User.user_name_key == casefold.key(q)),
        select(Group.id).where(Group.display_name_key == casefold.key(q)),
        select(ChangeRecord.resource_id).where(func.lower(ChangeRecord.resource_name) == low),
    ).limit(100)
    return [i for i in db.session.execute(stmt).scalars() if i]


def requests(f: RequestFilter, before=None, after=None, limit: int | None = None) -> Page:
    """One page of the request log, newest first."""
    return _page(RequestLog, request_conditions(f), before, after, limit or PER_PAGE)


def changes(f: ChangeFilter, before=None, after=None, limit: int | None = None) -> Page:
    """One page of change records, newest first."""
    return _page(ChangeRecord, change_conditions(f), before, after, limit or PER_PAGE)


def _page(model, conditions: list, before, after, limit: int) -> Page:
    stmt = select(model).where(*conditions)
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
    row = db.session.get(RequestLog, request_log_id)
    return row, (_changes_of(row.request_id) if row else [])


def change_detail(change_id: int) -> tuple[ChangeRecord | None, RequestLog | None]:
    """A change record and the SCIM request that made it (none for admin and CLI changes)."""
    change = db.session.get(ChangeRecord, change_id)
    if change is None or not change.request_id:
        return change, None
    stmt = select(RequestLog).where(RequestLog.request_id == change.request_id).limit(1)
    return change, db.session.execute(stmt).scalar_one_or_none()


def _changes_of(request_id: str) -> list[ChangeRecord]:
    stmt = select(ChangeRecord).where(ChangeRecord.request_id == request_id).order_by(
        ChangeRecord.id)
    return list(db.session.execute(stmt).scalars())


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
