"""Membership writes in set-based SQL: each costs in proportion to the members it names.

None of these load a group's member list, except replace(), whose request names every
member anyway. Helpers run inside the caller's transaction and never commit.
"""

from dataclasses import dataclass
from dataclasses import field

from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite

from models import Group
from models import GroupMember
from models import User
from models import db
from scim import query
from scim.errors import InvalidPath
from scim.errors import InvalidValue
from scim.filter import Compare
from scim.filter import Or
from scim.resource import clip
from services import memberships

# Ids per statement: well under SQLite's bound-parameter limit and PostgreSQL's comfort zone.
CHUNK = 500
_MEMBER = func.coalesce(GroupMember.user_id, GroupMember.member_group_id)


@dataclass
class Named:
    """Member ids sorted by kind, in request order."""

    users: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)

    def ids(self) -> set[str]:
        return {*self.users, *self.groups}


def _chunks(ids: list[str]):
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def kind(entry: dict) -> str | None:
    """"user", "group" or None (unknown): `type`, else the `$ref` path (Okta omits `type`)."""
    stated = entry.get("type")
    if isinstance(stated, str) and stated.lower() in ("user", "group"):
        return stated.lower()
    ref = entry.get("$ref") or ""
    for name in ("user", "group"):
        if f"/{name}s/" in ref.lower():
            return name
    return None


def resolve(session, entries: list[dict], group_id: str | None) -> Named:
    """Sort member values into users and groups: one SELECT per kind (RFC 7643 §4.2).

    An id without a type is looked up among users, then among groups.
    :raise InvalidValue: naming the ids that are no visible user or group, or the group itself.
    """
    wanted = {}
    for entry in entries:
        wanted.setdefault(entry["value"], kind(entry))
    users = _existing(session, User.id, [i for i, k in wanted.items() if k != "group"],
                      User.hidden.is_(False))
    groups = _existing(session, Group.id,
                       [i for i, k in wanted.items() if k != "user" and i not in users])
    missing = [i for i in wanted if i not in users and i not in groups]
    if missing:
        shown = ", ".join(repr(clip(i, 64)) for i in missing[:10])
        raise InvalidValue(f"members: no user or group with id {shown}")
    if group_id is not None and group_id in groups:
        raise InvalidValue("members: a group cannot be a member of itself")
    return Named([i for i in wanted if i in users], [i for i in wanted if i in groups])


def _existing(session, column, ids: list[str], *conditions) -> set[str]:
    found: set[str] = set()
    for part in _chunks(ids):
        found.update(session.execute(select(column).where(column.in_(part), *conditions))
                     .scalars())
    return found


def add(session, group_id: str, named: Named) -> list[str]:
    """INSERT … ON CONFLICT DO NOTHING; returns the ids that were not members yet."""
    rows = ([{"group_id": group_id, "user_id": u, "member_group_id": None} for u in named.users]
            + [{"group_id": group_id, "user_id": None, "member_group_id": g}
               for g in named.groups])
    if not rows:
        return []
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    stmt = (dialect.insert(GroupMember.__table__).on_conflict_do_nothing()
            .returning(GroupMember.user_id, GroupMember.member_group_id))
    added: list[str] = []
    for start in range(0, len(rows), CHUNK):
        result = session.execute(stmt, rows[start:start + CHUNK])
        added += [u or g for u, g in result]
    return added


def remove(session, group_id: str, ids: list[str]) -> list[str]:
    """DELETE the named members; returns the ids that were members. Absent ids are no-ops."""
    removed: list[str] = []
    for part in _chunks(list(dict.fromkeys(ids))):
        removed += _delete(session, group_id, GroupMember.user_id.in_(part))
        rest = set(part) - set(removed)
        # Usually every id named was a user member: then the second statement is skipped.
        if rest:
            removed += _delete(session, group_id, GroupMember.member_group_id.in_(rest))
    return removed


def remove_all(session, group_id: str) -> list[str]:
    """DELETE every member (RFC 7644 §3.5.2.2, `remove` of `members` without a value)."""
    return _delete(session, group_id)


def remove_matching(session, group_id: str, node) -> list[str]:
    """DELETE the members a value filter selects (`members[value eq "…"]`, RFC 7644 §3.5.2.2)."""
    ids = value_ids(node)
    if ids is not None:  # the usual shape: resolved on the indexes directly
        return remove(session, group_id, ids)
    view = memberships.member_view()
    subs = memberships.member_columns(view)
    condition = query.to_sql(node, lambda path: _child(subs, path))
    chosen = select(view.c.id).where(view.c.group_id == group_id, condition)
    return _delete(session, group_id, GroupMember.id.in_(chosen))


def _child(subs: dict, path) -> query.Column:
    column = subs.get(path.attr.lower()) if path.urn is None and path.sub is None else None
    if column is None:
        raise InvalidPath(f"members has no sub-attribute {path.attr!r} to filter on")
    return column


def value_ids(node) -> list[str] | None:
    """The ids of a filter made only of `value eq "…"` joined by `or`; None for anything else."""
    if isinstance(node, Or):
        left, right = value_ids(node.left), value_ids(node.right)
        return left + right if left is not None and right is not None else None
    if (isinstance(node, Compare) and node.op == "eq" and node.path.urn is None
            and node.path.sub is None and node.path.attr.lower() == "value"
            and isinstance(node.value, str)):
        return [node.value]
    return None


def replace(session, group_id: str, named: Named) -> tuple[list[str], list[str]]:
    """Set the members to exactly `named` (PUT, `replace` of `members`); returns (added, removed).

    The request names every member, so reading the current ids costs no more than it.
    """
    current = set(session.execute(select(_MEMBER).where(GroupMember.group_id == group_id))
                  .scalars())
    wanted = named.ids()
    removed = remove(session, group_id, [i for i in current if i not in wanted])
    fresh = Named([u for u in named.users if u not in current],
                  [g for g in named.groups if g not in current])
    return add(session, group_id, fresh), removed


def _delete(session, group_id: str, *conditions) -> list[str]:
    stmt = (delete(GroupMember).where(GroupMember.group_id == group_id, *conditions)
            .returning(GroupMember.user_id, GroupMember.member_group_id)
            .execution_options(synchronize_session=False))
    return [u or g for u, g in session.execute(stmt)]
