"""Read-only queries for the directory pages: paged, searchable, one query per page.

Microsoft Entra ID is the source of truth; nothing here writes.
"""

import math
from dataclasses import dataclass
from dataclasses import replace

from sqlalchemy import and_
from sqlalchemy import case
from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import aliased

from models import Group
from models import GroupMember
from models import User
from models import UserValue
from models import db
from scim.query import escape_like

PER_PAGE = 50
STATES = ("active", "inactive", "waiting", "hidden")
DIMENSIONS = ("department", "division", "organization")


@dataclass(frozen=True)
class UserFilter:
    q: str = ""
    state: str = ""  # "" for every user, else one of STATES
    department: str = ""
    division: str = ""
    organization: str = ""
    manager: str = ""  # a manager's user id: that manager's reports
    sort: str = ""  # a key of SORTS, "-" first for descending; "" is by userName

    def args(self, **overrides) -> dict:
        """The non-empty filters as query-string arguments (for links and paging)."""
        return {k: v for k, v in {**self.__dict__, **overrides}.items() if v}

    def without(self, key: str) -> "UserFilter":
        return replace(self, **{key: ""})


@dataclass(frozen=True)
class Page:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.total, self.page * self.per_page)


def paginate(stmt, page: int, per_page: int = PER_PAGE, scalars: bool = True) -> Page:
    """Count and fetch one page of `stmt` (two queries, whatever the page size).

    A page past the end shows the last page.
    """
    total = db.session.execute(select(func.count()).select_from(stmt.order_by(None).subquery()))
    total = total.scalar() or 0
    page = max(1, min(page, math.ceil(total / per_page)))
    result = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page))
    items = list(result.scalars() if scalars else result)
    return Page(items, total, page, per_page)


def contains(column, text: str):
    return column.ilike(f"%{escape_like(text)}%", escape="\\")


def user_conditions(f: UserFilter) -> list:
    """The WHERE clause of a user filter; dimension values match case-insensitively."""
    conditions = []
    if f.q.strip():
        q = f.q.strip()
        emails = select(UserValue.user_id).where(UserValue.attr == "emails",
                                                 contains(UserValue.value, q))
        conditions.append(or_(contains(User.user_name, q), contains(User.display_name, q),
                              User.id.in_(emails)))
    state = {
        "active": and_(User.active.is_(True), User.hidden.is_(False)),
        "inactive": and_(User.active.is_(False), User.hidden.is_(False),
                         User.seat_waiting.is_(False)),
        "waiting": and_(User.seat_waiting.is_(True), User.hidden.is_(False)),
        "hidden": User.hidden.is_(True),
    }.get(f.state)
    if state is not None:
        conditions.append(state)
    for name in DIMENSIONS:
        value = getattr(f, name).strip()
        if value:  # part of the value: "Engin" finds Engineering
            conditions.append(contains(getattr(User, name), value))
    if f.manager:
        conditions.append(User.manager_id == f.manager)
    return conditions


# The sortable columns of the list, each on an expression an index of models/user.py
# serves (the state has four values: sorting by it orders a filtered page, not the table).
# The email is not sortable: it lives in user_values, and a join per row would not be.
SORTS = {
    "userName": lambda: (func.lower(User.user_name),),
    "displayName": lambda: (func.lower(User.display_name),),
    "department": lambda: (func.lower(User.department),),
    "state": lambda: (User.hidden, User.seat_waiting, User.active.is_(False)),
}


def order_of(sort: str) -> list:
    """ORDER BY for a sort key ("-" first for descending), the id last for stable pages."""
    key = sort.removeprefix("-")
    columns = SORTS.get(key, SORTS["userName"])()
    descending = sort.startswith("-") and key in SORTS
    return [c.desc() if descending else c for c in columns] + [User.id]


def distinct_values(name: str, limit: int = 500) -> list[str]:
    """The values a dimension (department, division, organisation) has, for the filter's list."""
    column = getattr(User, name)
    stmt = (select(func.min(column)).where(column.is_not(None), User.hidden.is_(False))
            .group_by(func.lower(column)).order_by(func.lower(column)).limit(limit))
    return [v for v in db.session.execute(stmt).scalars() if v]


def users(f: UserFilter, page: int = 1, per_page: int = PER_PAGE) -> Page:
    """A page of users, sorted as asked (by userName by default), with each one's work email."""
    stmt = select(User).where(*user_conditions(f)).order_by(*order_of(f.sort))
    result = paginate(stmt, page, per_page)
    emails = work_emails([u.id for u in result.items])
    return replace(result, items=[(u, emails.get(u.id)) for u in result.items])


def work_emails(user_ids: list[str]) -> dict[str, str]:
    """{user id: the work email, else the primary, else the first} for a page of users."""
    if not user_ids:
        return {}
    rows = db.session.execute(
        select(UserValue.user_id, UserValue.value)
        .where(UserValue.attr == "emails", UserValue.user_id.in_(user_ids))
        .order_by(UserValue.user_id, _email_rank(), UserValue.id)
    )
    out: dict[str, str] = {}
    for user_id, value in rows:
        out.setdefault(user_id, value)
    return out


def _email_rank():
    return case((UserValue.type == "work", 0), (UserValue.primary.is_(True), 1), else_=2)


def work_email_column():
    """A correlated subquery for the work email of each user row (for the CSV export)."""
    return (select(UserValue.value)
            .where(UserValue.user_id == User.id, UserValue.attr == "emails")
            .order_by(_email_rank(), UserValue.id).limit(1)
            .correlate(User).scalar_subquery())


def user(user_id: str) -> User | None:
    """Any user, hidden ones included (the directory shows what Entra deleted)."""
    return db.session.get(User, user_id)


def person(user_id: str | None) -> tuple[str, str, str | None] | None:
    """(id, userName, displayName) of a user, for manager links."""
    if not user_id:
        return None
    row = db.session.execute(
        select(User.id, User.user_name, User.display_name).where(User.id == user_id)).first()
    return tuple(row) if row else None


def reports(manager_id: str, limit: int = 20) -> Page:
    """The first reports of a manager, and how many there are."""
    stmt = (select(User.id, User.user_name, User.display_name).where(User.manager_id == manager_id)
            .order_by(func.lower(User.user_name)))
    return paginate(stmt, 1, limit, scalars=False)


def groups(q: str = "", page: int = 1, per_page: int = PER_PAGE) -> Page:
    """A page of groups by name, each with its number of direct members."""
    stmt = select(Group).order_by(func.lower(Group.display_name), Group.id)
    if q.strip():
        stmt = stmt.where(contains(Group.display_name, q.strip()))
    result = paginate(stmt, page, per_page)
    counts = member_counts([g.id for g in result.items])
    return replace(result, items=[(g, counts.get(g.id, 0)) for g in result.items])


def member_counts(group_ids: list[str]) -> dict[str, int]:
    if not group_ids:
        return {}
    rows = db.session.execute(
        select(GroupMember.group_id, func.count()).where(GroupMember.group_id.in_(group_ids))
        .group_by(GroupMember.group_id))
    return dict(rows.all())


def group(group_id: str) -> Group | None:
    return db.session.get(Group, group_id)


def members(group_id: str, page: int = 1, per_page: int = PER_PAGE) -> Page:
    """A page of a group's direct members: users first, then nested groups, by name.

    Rows are (kind, id, name, display name, active) tuples.
    """
    nested = aliased(Group)
    name = func.coalesce(User.user_name, nested.display_name)
    stmt = (
        select(
            case((GroupMember.user_id.is_not(None), literal("User")), else_=literal("Group"))
            .label("kind"),
            func.coalesce(GroupMember.user_id, GroupMember.member_group_id).label("id"),
            name.label("name"),
            User.display_name.label("display"),
            User.active.label("active"),
        )
        .select_from(GroupMember)
        .outerjoin(User, User.id == GroupMember.user_id)
        .outerjoin(nested, nested.id == GroupMember.member_group_id)
        .where(GroupMember.group_id == group_id)
        .order_by(GroupMember.user_id.is_(None), func.lower(name), GroupMember.id)
    )
    return paginate(stmt, page, per_page, scalars=False)


def breakdown(limit: int = 100) -> dict[str, list[tuple[str | None, int, int]]]:
    """Visible users per department, division and organisation: [(value, users, active)].

    Values differing only in case are counted together (the filters match that way too).
    """
    out = {}
    for name in DIMENSIONS:
        column = getattr(User, name)
        key = func.lower(column)
        stmt = (
            select(func.min(column), func.count(),
                   func.sum(case((User.active.is_(True), 1), else_=0)))
            .where(User.hidden.is_(False))
            .group_by(key)
            .order_by(func.count().desc(), key)
            .limit(limit)
        )
        out[name] = [(value, total, int(active or 0))
                     for value, total, active in db.session.execute(stmt)]
    return out


EXPORT_COLUMNS = (
    ("id", User.id), ("userName", User.user_name), ("displayName", User.display_name),
    ("givenName", User.given_name), ("familyName", User.family_name), ("title", User.title),
    ("employeeNumber", User.employee_number), ("department", User.department),
    ("division", User.division), ("organization", User.organization),
    ("costCenter", User.cost_center), ("externalId", User.external_id),
    ("created", User.created), ("lastModified", User.last_modified),
)


def export(f: UserFilter, custom_urn: str, custom_names: list[str]):
    """Yield the filtered users as CSV rows (lists of strings), header first.

    One streamed query: the work email and manager's userName are joined in SQL.
    """
    manager = aliased(User)
    stmt = (
        select(*[c for _, c in EXPORT_COLUMNS], work_email_column().label("email"),
               manager.user_name.label("manager"), User.active, User.seat_waiting, User.hidden,
               User.data)
        .outerjoin(manager, manager.id == User.manager_id)
        .where(*user_conditions(f))
        .order_by(func.lower(User.user_name), User.id)
        .execution_options(yield_per=500)
    )
    yield [n for n, _ in EXPORT_COLUMNS] + ["email", "manager", "state"] + custom_names
    for row in db.session.execute(stmt):
        custom = (row.data or {}).get(custom_urn) or {}
        values = [*row[: len(EXPORT_COLUMNS)], row.email, row.manager, state_of(row)]
        values += [custom.get(name) for name in custom_names]
        yield [_cell(v) for v in values]


def state_of(user) -> str:
    if user.hidden:
        return "hidden"
    if user.seat_waiting:
        return "waiting"
    return "active" if user.active else "inactive"


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    elif hasattr(value, "isoformat"):
        value = value.isoformat(timespec="seconds") + "Z"
    text = str(value)
    # Spreadsheets run cells that start like a formula (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
