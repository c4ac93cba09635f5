"""Membership writes in set-based SQL: each costs in proportion to the members it names.

None of these load a group's member list, except replace(), whose request names every
member anyway. split() and apply() run the `members` operations of a group PATCH with
them. Everything runs inside the caller's transaction and never commits.
"""

import dataclasses
import functools
import json
from dataclasses import dataclass

from sqlalchemy import Text
from sqlalchemy import bindparam
from sqlalchemy import cast
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import true
from sqlalchemy import update
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite

from models import Group
from models import GroupMember
from models import User
from models import db
from models import utcnow
from scim import query
from scim import resource
from scim.errors import InvalidPath
from scim.filter import Compare
from scim.filter import Or
from scim.resource import clip
from scim.schema import GROUP
from scim.schema import MEMBERS
from services import errors
from services import sql_lists
from services.context import current_directory_id
from services.groups import reads as memberships

# A change record lists at most this many member ids per direction, then a count.
AUDIT_IDS = 1000
_MEMBER_KEYS = {"members", f"{GROUP}:members".lower()}
# Ids per statement: well under SQLite's bound-parameter limit and PostgreSQL's comfort zone.
CHUNK = 500
_MEMBER = func.coalesce(GroupMember.user_id, GroupMember.member_group_id)
DISPLAY_LENGTH = 512  # group_members.display


@dataclass(frozen=True)
class Named:
    """Member ids sorted by kind, in request order, with the `display` each was sent with."""

    users: list[str]
    groups: list[str]
    displays: dict = dataclasses.field(default_factory=dict)

    def ids(self) -> set[str]:
        return {*self.users, *self.groups}


def _chunks(ids: list[str]):
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def kind(entry: dict) -> str | None:
    """The member's kind, "user" or "group", from `type` or else `$ref`; None when unknown.

    Okta and Entra send neither: then resolve() looks the id up among users, then groups.
    """
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
    :raise errors.Invalid: naming the ids that are no visible user or group, or the group itself.
    """
    wanted, displays = {}, {}
    for entry in entries:
        wanted.setdefault(entry["value"], kind(entry))
        if isinstance(entry.get("display"), str):
            displays.setdefault(entry["value"], entry["display"][:DISPLAY_LENGTH])
    users = _existing(session, "user", [i for i, k in wanted.items() if k != "group"])
    groups = _existing(session, "group",
                       [i for i, k in wanted.items() if k != "user" and i not in users])
    missing = [i for i in wanted if i not in users and i not in groups]
    if missing:
        shown = ", ".join(repr(clip(i, 64)) for i in missing[:10])
        raise errors.Invalid(f"members: no user or group with id {shown}", "members")
    if group_id is not None and group_id in groups:
        raise errors.Invalid("members: a group cannot be a member of itself", "members")
    return Named([i for i in wanted if i in users], [i for i in wanted if i in groups], displays)


def _existing(session, kind: str, ids: list[str]) -> set[str]:
    """The ids that exist; on PostgreSQL they stay locked FOR KEY SHARE until commit.

    The membership-reference rule: a member must exist when the membership commits.

    That is the lock the membership rows' foreign keys take anyway: taken here, a user
    deleted meanwhile waits for this transaction instead of failing its INSERT.
    """
    if not ids:
        return set()
    dialect_name = db.engine.dialect.name
    stmt = _existing_statement(kind, dialect_name)
    connection = session.connection()
    found: set[str] = set()
    for part in _chunks(ids):
        params = {"ids": sql_lists.value(part, dialect_name),
                  "directory": current_directory_id()}
        found.update(connection.execute(stmt, params).scalars().all())
    return found


@functools.cache
def _existing_statement(kind: str, dialect_name: str):
    """Built once per kind and database: a member add's hot path.

    A Core statement naming its directory (models/scoping.py sees only ORM statements),
    with the ids as one parameter (services/sql_lists.py).
    """
    table = (User if kind == "user" else Group).__table__
    conditions = [table.c.directory_id == bindparam("directory")]
    if kind == "user":
        conditions.append(table.c.hidden.is_(False))
    stmt = select(table.c.id).where(sql_lists.among(table.c.id, "ids", dialect_name),
                                    *conditions)
    if dialect_name == "postgresql":
        stmt = stmt.with_for_update(read=True, key_share=True)
    return stmt


def add(session, group_id: str, named: Named) -> list[str]:
    """INSERT … ON CONFLICT DO NOTHING; returns the ids that were not members yet."""
    shown = named.displays.get
    rows = ([(u, None, shown(u)) for u in named.users]
            + [(None, g, shown(g)) for g in named.groups])
    if not rows:
        return []
    dialect_name = db.engine.dialect.name
    stmt = _add_statement(dialect_name)
    connection = session.connection()
    added: list[str] = []
    for start in range(0, len(rows), CHUNK):
        part = rows[start:start + CHUNK]
        if dialect_name == "postgresql":
            users, groups, displays = (list(column) for column in zip(*part, strict=True))
            params = {"group_id": group_id, "user_ids": users, "member_group_ids": groups,
                      "displays": displays}
        else:
            params = {"group_id": group_id, "rows": json.dumps(part)}
        added += [u or g for u, g in connection.execute(stmt, params).all()]
    return added


@functools.cache
def _add_statement(dialect_name: str):
    """The membership INSERT, built once per database kind (a member add's hot path).

    One short statement whatever the batch, its rows one parameter: `unnest` of three
    arrays on PostgreSQL, `json_each` of a JSON array of [user, group, display] on SQLite.
    A VALUES list of 100 rows is about 11,500 characters: above the 4,096 that psycopg
    caches the parse of (`psycopg/_queries.py`), and on SQLite rendered by SQLAlchemy
    afresh each time; each cost a quarter of a member add's CPU (docs/performance.md).
    """
    table = GroupMember.__table__
    if dialect_name == "postgresql":
        rows = func.unnest(*(cast(bindparam(name), postgresql.ARRAY(Text))
                             for name in ("user_ids", "member_group_ids", "displays"))
                           ).table_valued("user_id", "member_group_id", "display")
        rows = rows.render_derived("m")
        chosen = select(cast(bindparam("group_id"), Text), rows.c.user_id,
                        rows.c.member_group_id, rows.c.display)
        insert = postgresql.insert(table)
    else:
        each = func.json_each(bindparam("rows")).table_valued("value")
        chosen = select(bindparam("group_id"), *(func.json_extract(each.c.value, f"$[{i}]")
                                                 for i in range(3)))
        # `WHERE true`: SQLite reads ON CONFLICT after a bare INSERT … SELECT … FROM as a
        # join's ON (https://www.sqlite.org/lang_upsert.html, "Parsing Ambiguity").
        chosen = chosen.where(true())
        insert = sqlite.insert(table)
    return (insert.from_select(["group_id", "user_id", "member_group_id", "display"], chosen)
            .on_conflict_do_nothing()
            .returning(table.c.user_id, table.c.member_group_id))


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


_MEMBER_OF = {"user": GroupMember.user_id, "group": GroupMember.member_group_id}


def containing(session, member_id: str, kind: str, lock: bool = False) -> list[str]:
    """The ids of the groups that `member_id` (a "user" or "group") is a direct member of.

    With `lock`, on PostgreSQL, those groups are locked as a group write locks them (FOR
    NO KEY UPDATE), in id order: a DELETE takes them before the member's own row, the
    order of a group PATCH naming that member, so the two wait, never deadlock.
    """
    stmt = (select(GroupMember.group_id).where(_MEMBER_OF[kind] == member_id)
            .order_by(GroupMember.group_id))
    ids = list(session.execute(stmt).scalars())
    if lock and ids and db.engine.dialect.name == "postgresql":
        for part in _chunks(ids):
            session.execute(select(Group.id).where(Group.id.in_(part)).order_by(Group.id)
                            .with_for_update(key_share=True))
    return ids


def drop(session, member_id: str, kind: str) -> list[tuple[str, str]]:
    """End every membership of a user or group, bumping each group's version (its ETag).

    Two statements whose cost follows the member's memberships; returns the groups it
    left as (id, displayName), for their change records.
    """
    stmt = (delete(GroupMember).where(_MEMBER_OF[kind] == member_id)
            .returning(GroupMember.group_id).execution_options(synchronize_session=False))
    ids = sorted(set(session.execute(stmt).scalars()))
    left: list[tuple[str, str]] = []
    for part in _chunks(ids):
        bump = (update(Group.__table__).where(Group.id.in_(part))
                .values(version=Group.version + 1, last_modified=utcnow())
                .returning(Group.id, Group.display_name))
        left += [tuple(row) for row in session.execute(bump)]
    return sorted(left)


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
                  [g for g in named.groups if g not in current], named.displays)
    _redisplay(session, group_id, {i: d for i, d in named.displays.items() if i in current})
    return add(session, group_id, fresh), removed


def _redisplay(session, group_id: str, displays: dict) -> None:
    """Store the `display` sent again for members kept by a replace."""
    if displays:
        stmt = (update(GroupMember.__table__)
                .where(GroupMember.group_id == group_id, _MEMBER == bindparam("member"))
                .values(display=bindparam("shown")))
        session.execute(stmt, [{"member": i, "shown": d} for i, d in displays.items()])


def _delete(session, group_id: str, *conditions) -> list[str]:
    stmt = (delete(GroupMember).where(GroupMember.group_id == group_id, *conditions)
            .returning(GroupMember.user_id, GroupMember.member_group_id)
            .execution_options(synchronize_session=False))
    return [u or g for u, g in session.execute(stmt)]


# PATCH operations on members --------------------------------------------------------------

@dataclass(frozen=True)
class MemberOp:
    verb: str  # "add", "set", "remove", "clear" or "match"
    values: list
    node: object = None  # the value filter of "match"


def split(ops: list, unknown: str) -> tuple[list[MemberOp], list]:
    """Separate operations on `members` (run here, in SQL) from the rest (run by scim.patch)."""
    member_ops, others = [], []
    for op in ops:
        if op.path is None and isinstance(op.value, dict):
            # Path-less add/replace (Okta's rename, RFC 7644 §3.5.2.1): `members` may be a key.
            keys = [k for k in op.value if str(k).lower() in _MEMBER_KEYS]
            for key in keys:
                verb = "add" if op.op == "add" else "set"
                member_ops.append(MemberOp(verb, _values(op.value[key], key, unknown)))
            if not keys or len(keys) < len(op.value):
                rest = {k: v for k, v in op.value.items() if k not in keys}
                others.append(dataclasses.replace(op, value=rest))
        elif op.path is not None and _is_members(op.path):
            member_ops.append(_member_op(op, unknown))
        else:
            others.append(op)
    return member_ops, others


def _is_members(path) -> bool:
    urn = path.attr.urn
    return path.attr.attr.lower() == "members" and (urn is None or urn.lower() == GROUP.lower())


def _member_op(op, unknown: str) -> MemberOp:
    path = op.path
    if path.sub is not None or path.attr.sub is not None:
        raise InvalidPath(f"{clip(op.raw_path)}: a member's sub-attributes are "
                          "immutable; add or remove the member instead")
    if path.filter is not None:
        if op.op != "remove":
            raise InvalidPath(f"{clip(op.raw_path)}: only remove takes a members filter")
        return MemberOp("match", [], path.filter)
    if op.op == "remove" and op.value is None:
        return MemberOp("clear", [])  # RFC 7644 §3.5.2.2: remove the whole attribute
    # Entra legacy: remove with path `members` and a value list removes only those
    # (Microsoft's "Tutorial: Develop and plan provisioning for a SCIM endpoint in
    # Microsoft Entra ID", Update Group [Remove Members]).
    verb = {"add": "add", "replace": "set", "remove": "remove"}[op.op]
    return MemberOp(verb, _values(op.value, op.raw_path, unknown))


def _values(value, path: str, unknown: str) -> list[dict]:
    """Member values in canonical form; Entra sends `"$ref": null` in them.

    tests/api/test_groups.py replays such requests.
    """
    return resource.coerce(MEMBERS, value, path, unknown=unknown) or []


def _add(session, group_id: str, op: MemberOp, delta: "Delta") -> None:
    named = resolve(session, op.values, group_id)
    delta.add(add(session, group_id, named))


def _set(session, group_id: str, op: MemberOp, delta: "Delta") -> None:
    named = resolve(session, op.values, group_id)
    added, removed = replace(session, group_id, named)
    delta.remove(removed)
    delta.add(added)


def _remove(session, group_id: str, op: MemberOp, delta: "Delta") -> None:
    delta.remove(remove(session, group_id, [v["value"] for v in op.values]))


def _clear(session, group_id: str, op: MemberOp, delta: "Delta") -> None:
    delta.remove(remove_all(session, group_id))


def _match(session, group_id: str, op: MemberOp, delta: "Delta") -> None:
    delta.remove(remove_matching(session, group_id, op.node))


_VERBS = {"add": _add, "set": _set, "remove": _remove, "clear": _clear, "match": _match}


def apply(session, group_id: str, op: MemberOp, delta: "Delta") -> None:
    """Run one membership operation in SQL, noting the ids it added or removed in `delta`."""
    _VERBS[op.verb](session, group_id, op, delta)


class Delta:
    """The net member ids added and removed by one request, for the change record."""

    def __init__(self, added=(), removed=()):
        self.added = dict.fromkeys(added)
        self.removed = dict.fromkeys(removed)

    def add(self, ids) -> None:
        for member in ids:
            if member in self.removed:
                del self.removed[member]
            else:
                self.added[member] = None

    def remove(self, ids) -> None:
        for member in ids:
            if member in self.added:
                del self.added[member]
            else:
                self.removed[member] = None

    def changes(self) -> dict:
        """{"members.added": [None, ids], "members.removed": [ids, None]}, as audit.diff pairs."""
        out = {}
        if self.added:
            out["members.added"] = [None, _clipped(list(self.added))]
        if self.removed:
            out["members.removed"] = [_clipped(list(self.removed)), None]
        return out


def _clipped(ids: list[str]) -> list[str]:
    if len(ids) <= AUDIT_IDS:
        return ids
    return [*ids[:AUDIT_IDS], f"… and {len(ids) - AUDIT_IDS} more"]
