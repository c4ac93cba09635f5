"""Two directories side by side: who is only in one, and how matched users differ.

Typically a staging directory fed by a new mapping against production: the report says
what switching production to that mapping would change. Users match by their userName
key (scim/casefold.py, what the uniqueness index compares), groups by their displayName
key. Hidden users (soft-deleted by the client) take no part.

The "only in" lists are anti-joins, counted and paged in SQL. Differences need both
documents: matched pairs stream in key order, `BATCH` pairs at a time, and only the rows
of the asked page are kept, so memory follows the page while the work follows the
directory (one pass per page view). A manager is compared by its userName key, as its
id differs between directories; groups compare their attributes and member counts.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import and_
from sqlalchemy import exists
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import aliased

from models import Group
from models import GroupMember
from models import User
from models import db
from scim.schema import ENTERPRISE
from services import audit
from services.readmodels import scope
from services.readmodels.directory import PER_PAGE
from services.readmodels.directory import Page

BATCH = 500
# Read-only and server-made attributes, and memberships (compared per group instead).
IGNORED = frozenset({"id", "meta", "schemas", "groups", "password"})
KINDS = ("users", "groups")


@dataclass(frozen=True)
class Counts:
    only_a: int
    only_b: int
    matched: int
    differ: int


@dataclass(frozen=True)
class Difference:
    name: str
    id_a: str
    id_b: str
    changes: dict  # {attribute path: [value in A, value in B]}


@dataclass(frozen=True)
class Report:
    users: Counts
    groups: Counts
    page: Page  # of the asked section: Difference rows, or (id, name, ...) rows


SECTIONS = ("users-differ", "users-only-a", "users-only-b",
            "groups-differ", "groups-only-a", "groups-only-b")


def report(a: int, b: int, section: str, page: int = 1, per_page: int = PER_PAGE) -> Report:
    """Counts of both kinds and one page of `section` (one of SECTIONS)."""
    kind, _, part = section.partition("-")  # "users" and "differ", "only-a" or "only-b"
    counts, shown = {}, Page([], 0, 1, per_page)
    for name in KINDS:
        asked = page if (name, part) == (kind, "differ") else None
        differ, rows = _differences(name, a, b, asked, per_page)
        counts[name] = Counts(_only_count(name, a, b), _only_count(name, b, a),
                              _matched_count(name, a, b), differ)
        if asked:
            shown = Page(rows, differ, _clamp(page, differ, per_page), per_page)
    if part in ("only-a", "only-b"):
        present, absent = (a, b) if part == "only-a" else (b, a)
        shown = only_in(kind, present, absent, page, per_page)
    return Report(counts["users"], counts["groups"], shown)


def only_in(kind: str, present: int, absent: int, page: int = 1,
            per_page: int = PER_PAGE) -> Page:
    """A page of the users or groups of directory `present` with no match in `absent`.

    Users come as (id, userName, displayName, active, lastModified) rows, groups as
    (id, displayName, externalId, lastModified).
    """
    stmt = _only_stmt(kind, present, absent)
    total = _only_count(kind, present, absent)
    page = _clamp(page, total, per_page)
    rows = db.session.execute(scope.across(stmt.limit(per_page).offset((page - 1) * per_page)))
    return Page(list(rows), total, page, per_page)


def export(a: int, b: int) -> Iterator[list]:
    """CSV rows (header first): each finding, one row per differing attribute."""
    yield ["kind", "finding", "name", "attribute", "value in A", "value in B"]
    for kind in KINDS:
        for side, (present, absent) in (("only in A", (a, b)), ("only in B", (b, a))):
            stmt = _only_stmt(kind, present, absent).execution_options(yield_per=BATCH)
            for row in db.session.execute(scope.across(stmt)):
                yield [kind, side, row[1], "", "", ""]
        for d in _pairs(kind, a, b):
            for path, (old, new) in d.changes.items():
                yield [kind, "differs", d.name, path, _text(old), _text(new)]


def _only_stmt(kind: str, present: int, absent: int):
    if kind == "users":
        other = aliased(User)
        match = exists().where(other.directory_id == absent, other.hidden.is_(False),
                               other.user_name_key == User.user_name_key)
        return (select(User.id, User.user_name, User.display_name, User.active,
                       User.last_modified)
                .where(User.directory_id == present, User.hidden.is_(False), ~match)
                .order_by(User.user_name_key, User.id))
    other = aliased(Group)
    match = exists().where(other.directory_id == absent,
                           other.display_name_key == Group.display_name_key)
    return (select(Group.id, Group.display_name, Group.external_id, Group.last_modified)
            .where(Group.directory_id == present, ~match)
            .order_by(Group.display_name_key, Group.id))


def _only_count(kind: str, present: int, absent: int) -> int:
    stmt = select(func.count()).select_from(_only_stmt(kind, present, absent).subquery())
    return db.session.execute(scope.across(stmt)).scalar() or 0


def _matched_count(kind: str, a: int, b: int) -> int:
    stmt = select(func.count()).select_from(_matched_stmt(kind, a, b).subquery())
    return db.session.execute(scope.across(stmt)).scalar() or 0


def _matched_stmt(kind: str, a: int, b: int):
    if kind == "users":
        left, right = aliased(User), aliased(User)
        return (select(left.user_name, left.id, left.data, right.id, right.data)
                .join(right, and_(right.user_name_key == left.user_name_key,
                                  right.directory_id == b, right.hidden.is_(False)))
                .where(left.directory_id == a, left.hidden.is_(False))
                .order_by(left.user_name_key, left.id))
    left, right = aliased(Group), aliased(Group)
    return (select(left.display_name, left.id, left.data, right.id, right.data)
            .join(right, and_(right.display_name_key == left.display_name_key,
                              right.directory_id == b))
            .where(left.directory_id == a)
            .order_by(left.display_name_key, left.id))


def _differences(kind: str, a: int, b: int, page: int | None,
                 per_page: int) -> tuple[int, list[Difference]]:
    """How many matched pairs differ, and the rows of `page` among them (None: no rows)."""
    total, rows = 0, []
    first = (page - 1) * per_page if page else -1
    for difference in _pairs(kind, a, b):
        if first <= total < first + per_page:
            rows.append(difference)
        total += 1
    if page and not rows and total:  # a page past the end shows the last page
        return total, _differences(kind, a, b, _clamp(page, total, per_page), per_page)[1]
    return total, rows


def _clamp(page: int, total: int, per_page: int) -> int:
    return max(1, min(page, -(-total // per_page)))


def _pairs(kind: str, a: int, b: int) -> Iterator[Difference]:
    """The matched pairs that differ, in key order, read `BATCH` at a time."""
    stmt = _matched_stmt(kind, a, b).execution_options(yield_per=BATCH)
    result = db.session.execute(scope.across(stmt))
    for batch in result.partitions():
        names = _manager_names(batch) if kind == "users" else {}
        counts = _member_counts(batch) if kind == "groups" else {}
        for name, id_a, data_a, id_b, data_b in batch:
            left = comparable(data_a, names, counts.get(id_a))
            right = comparable(data_b, names, counts.get(id_b))
            changes = audit.diff(left, right)
            if changes:
                yield Difference(name, id_a, id_b, changes)


def comparable(data: dict, manager_names: dict, members: int | None = None) -> dict:
    """A document as two directories can compare it: ids out, multi-valued entries keyed.

    `emails: [{type: work, value: x}]` becomes `emails[type eq "work"]: {value: x}`, so a
    difference names the entry (and entry order does not count); a manager becomes its
    userName key; a group gains its member count.
    """
    out = {}
    for key, value in (data or {}).items():
        if key in IGNORED:
            continue
        if key == ENTERPRISE and isinstance(value, dict):
            value = _with_manager_name(value, manager_names)
        if isinstance(value, list):
            out.update(_keyed(key, value))
        else:
            out[key] = value
    if members is not None:
        out["members (count)"] = members
    return out


def _with_manager_name(enterprise: dict, names: dict) -> dict:
    manager = enterprise.get("manager")
    if not isinstance(manager, dict):
        return enterprise
    return {**enterprise, "manager": names.get(manager.get("value"), manager.get("value"))}


def _keyed(name: str, entries: list) -> dict:
    types = [e.get("type") for e in entries if isinstance(e, dict)]
    if len(types) == len(entries) and all(types) and len(set(types)) == len(types):
        return {f'{name}[type eq "{e["type"]}"]': {k: v for k, v in e.items() if k != "type"}
                for e in entries}
    return {name: sorted(entries, key=lambda e: json.dumps(e, sort_keys=True, default=str))}


def _manager_names(batch) -> dict:
    ids = {m for row in batch for m in (_manager_of(row[2]), _manager_of(row[4])) if m}
    if not ids:
        return {}
    # The matching key: a manager who is the same person in both matches whatever the case.
    stmt = select(User.id, User.user_name_key).where(User.id.in_(ids))
    return dict(db.session.execute(scope.across(stmt)).all())


def _manager_of(data: dict) -> str | None:
    manager = ((data or {}).get(ENTERPRISE) or {}).get("manager")
    return manager.get("value") if isinstance(manager, dict) else None


def _member_counts(batch) -> dict:
    ids = [row[1] for row in batch] + [row[3] for row in batch]
    stmt = (select(GroupMember.group_id, func.count()).where(GroupMember.group_id.in_(ids))
            .group_by(GroupMember.group_id))
    found = dict(db.session.execute(scope.across(stmt)).all())
    return {group_id: found.get(group_id, 0) for group_id in ids}


def _text(value) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False,
                                                            sort_keys=True)
    # Spreadsheets run cells that start like a formula (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
