"""Groups: the verbs of the SCIM Groups endpoint, each one transaction with its change record.

`Group.data` holds the group without its members; members live in `group_members` and
change through services/groups/members.py in set-based SQL, never through the JSON document.

One write path: POST, PUT, PATCH (and /Bulk, which calls these verbs) write the group row
with `_write` and its members with members.py, then add the change record, in one
transaction. The cross-row rules are decided inside it: displayName uniqueness by the
unique index on lower(display_name) (a concurrent duplicate is a 409 at the flush), and
member references under FOR KEY SHARE on the rows named (members.py `_existing`), so a
user or group deleted meanwhile either waits for the membership or is reported missing.
"""

import uuid

from sqlalchemy import bindparam
from sqlalchemy import inspect
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached

from models import Group
from models import db
from models import utcnow
from scim import casefold
from scim import filter as scim_filter
from scim import patch as scim_patch
from scim import query
from scim import resource
from scim.schema import GROUP_TYPE
from services import audit
from services import column_lengths
from services import errors
from services import settings
from services import tx
from services.audit import Target
from services.context import current_directory_id
from services.context import note
from services.groups import members as group_members
from services.groups import reads as memberships
from services.resources import listing
from services.resources.listing import Search
from services.resources.preconditions import check_if_match


def get(group_id: str) -> Group:
    """:raise errors.NotFound: when no group has this id."""
    group = db.session.get(Group, group_id)
    if group is None:
        raise errors.NotFound(f"Group {group_id} not found")
    return group


def members(rows: list[Group], base_url: str) -> dict[str, list[dict]]:
    """{group id: [member]} for a page of groups, in one query."""
    return memberships.members_of([g.id for g in rows], base_url)


# Entra's group lookup, `displayName eq "…"`: at most one row on the unique key index.
_BY_NAME = select(Group.id, Group.data, Group.version, Group.created, Group.last_modified).where(
    Group.directory_id == bindparam("directory"), Group.display_name_key == bindparam("name"))


def search(params: Search, max_filter_length: int = 4096) -> tuple[int, list]:
    """Filter, count and page groups in SQL (RFC 7644 §3.4.2); members are never loaded.

    The rows are listing.Rows: what services/resources/serialize.py reads, without ORM objects.
    """
    conditions = []
    if params.filter:
        tree = scim_filter.parse(params.filter, max_length=max_filter_length)
        name = scim_filter.equality_value(tree, "displayname")
        if name is not None and params.start_index == 1 and params.count > 0 and not params.cursor:
            found = db.session.connection().execute(
                _BY_NAME, {"directory": current_directory_id(), "name": casefold.key(name)})
            rows = [listing.Row(*row) for row in found]
            return len(rows), rows
        conditions.append(query.to_sql(tree, memberships.group_resolver))
    order = listing.order(params, memberships.group_resolver, Group)
    return listing.page(Group, conditions, order, params)


def create(body: dict, actor) -> Group:
    """POST: create a group with its members (RFC 7644 §3.3).

    :raise errors.Conflict: when the displayName is taken, compared case-insensitively.
    :raise errors.Invalid: naming member ids that are no user or group; nothing is created.
    """
    data, values = _load(body)
    with tx.write() as session:
        named = group_members.resolve(session, values, None)
        group = Group(id=str(uuid.uuid4()), data={}, version=0)
        _write(session, group, data)
        added = group_members.add(session, group.id, named)
        audit.record(session, actor, "group.create", _target(group),
                     {**audit.diff({}, data), **group_members.Delta(added=added).changes()})
        tx.keep_loaded(session, group)
    return group


def replace(group_id: str, body: dict, actor, if_match: str | None = None) -> Group:
    """PUT: replace displayName, externalId and the member list (RFC 7644 §3.5.1).

    A body without `members` leaves the group without members, as PUT clears what it omits.
    """
    data, values = _load(body)
    with tx.write() as session:
        group = _locked(session, group_id, if_match)
        named = group_members.resolve(session, values, group.id)
        added, removed = group_members.replace(session, group.id, named)
        changes = {**audit.diff(group.data, data), **group_members.Delta(added, removed).changes()}
        if changes:
            _write(session, group, data)
            audit.record(session, actor, "group.replace", _target(group), changes)
        tx.keep_loaded(session, group)
    return group


def patch(group_id: str, body: dict, actor, if_match: str | None = None) -> Group:
    """PATCH: apply a PatchOp all or nothing (RFC 7644 §3.5.2), members in set-based SQL.

    Costs in proportion to the members the operations name, not to the group's size.
    :raise errors.Invalid: naming member ids that are no user or group; nothing changes.
    """
    unknown = settings.get("unknown_attributes")
    member_ops, other_ops = group_members.split(scim_patch.operations(body), unknown)
    with tx.write() as session:
        group = _locked_draft(session, group_id, if_match)
        after = _apply_attributes(group.data, other_ops, unknown)
        delta = group_members.Delta()
        for op in member_ops:
            group_members.apply(session, group.id, op, delta)
        changes = {**audit.diff(group.data, after), **delta.changes()}
        if changes:
            _write(session, group, after)
            audit.record(session, actor, "group.patch", _target(group), changes)
    return group


def delete(group_id: str, actor, if_match: str | None = None) -> None:
    """DELETE (RFC 7644 §3.6): its members stay; the groups it was in lose it visibly."""
    with tx.write() as session:
        lock_memberships(session, group_id, "group")
        group = _locked(session, group_id, if_match)
        remove_everywhere(session, group.id, actor, "group")
        audit.record(session, actor, "group.delete", _target(group),
                     audit.diff(group.data, {}))
        session.delete(group)


def lock_memberships(session, member_id: str, kind: str = "user") -> None:
    """Lock the groups a member is in, before the member's row (members.containing)."""
    group_members.containing(session, member_id, kind, lock=True)


def remove_everywhere(session, member_id: str, actor, kind: str = "user") -> int:
    """A user or group leaves all its groups (DELETE, hide, revival); returns how many.

    In the caller's transaction: each group gets a new version and a `group.patch`
    change record naming the member removed, as a PATCH removing it would.
    """
    left = group_members.drop(session, member_id, kind)
    changes = group_members.Delta(removed=[member_id]).changes()
    audit.record_many(session, [audit.entry(actor, "group.patch", Target("Group", gid, name),
                                            changes) for gid, name in left])
    return len(left)


def _target(group: Group) -> Target:
    return Target("Group", group.id, group.display_name)


def etag(group: Group) -> str:
    return f'W/"{group.version}"'


def _load(body: dict) -> tuple[dict, list[dict]]:
    """The canonical group without members, and the member values (RFC 7643 §4.2).

    Entra's create lists a non-standard `…/ADSCIM/2.0/Group` URN in `schemas`: `schemas`
    is the server's to set, so it is read no further.
    """
    data, ignored = resource.load(body, GROUP_TYPE, unknown=settings.get("unknown_attributes"),
                                  max_value_length=settings.max_value_length())
    _note_ignored(ignored)
    return data, data.pop("members", [])


def _note_ignored(ignored) -> None:
    for path in ignored:
        note(f"ignored unknown attribute {path}")


_BY_ID = select(Group).where(Group.id == bindparam("id"))
# Built once, naming its directory: a member add's hot path.
_ROW_BY_ID = select(*Group.__table__.c).where(Group.id == bindparam("id"),
                                              Group.directory_id == bindparam("directory"))


def _locked(session, group_id: str, if_match: str | None) -> Group:
    """Load the group for update and check If-Match (RFC 7644 §3.14)."""
    group = tx.locked_one(session, _BY_ID, f"Group {group_id} not found", params={"id": group_id})
    check_if_match(if_match, etag(group))
    return group


def _locked_draft(session, group_id: str, if_match: str | None) -> Group:
    """As `_locked`, read with Core and detached, never in the session (a PATCH).

    The ORM's select and load of the group cost a member add of one 2-7% of its CPU
    (bench.inproc, interleaved); the PATCH writes the group with Core anyway (`_update`).
    """
    row = tx.locked_row(session, _ROW_BY_ID, {"id": group_id,
                                              "directory": current_directory_id()})
    if row is None:
        raise errors.NotFound(f"Group {group_id} not found")
    group = Group(**row)
    make_transient_to_detached(group)
    check_if_match(if_match, etag(group))
    return group


def _write(session, group: Group, data: dict) -> None:
    """Store the attributes, bump version and lastModified, and write the row now.

    Written now so a concurrent duplicate displayName surfaces as 409, not as a 500 at
    commit: a new group by the ORM's flush, a loaded one by a Core UPDATE (`_update`).
    """
    if data.get("displayName") != group.display_name:
        _check_unique(session, data["displayName"], group.id)
    values = {"data": data, "display_name": data["displayName"],
              "external_id": data.get("externalId"), "version": (group.version or 0) + 1,
              "last_modified": utcnow()}
    try:
        if inspect(group).key is not None:  # a stored row, loaded (or read as a draft)
            _update(session, group, values)
        else:
            for key, value in {**values, "created": values["last_modified"]}.items():
                setattr(group, key, value)
            session.add(group)
            session.flush()
    except IntegrityError as error:
        raise errors.Conflict(f"displayName {data['displayName']!r} is already in use",
                              "displayName") from error


_TABLE = Group.__table__
_UPDATE = _TABLE.update().where(_TABLE.c.id == bindparam("at_id"),
                                _TABLE.c.directory_id == bindparam("at_directory"))


def _update(session, group: Group, values: dict) -> None:
    """UPDATE what changed with Core; the ORM's flush of a member add's version bump cost
    0.27 ms, four times the statement (docs/performance.md)."""
    changed = {key: value for key, value in values.items() if getattr(group, key) != value}
    if "display_name" in changed:
        changed["display_name_key"] = casefold.key_or_none(changed["display_name"])
    column_lengths.check_values(Group, changed)
    session.connection().execute(_UPDATE, {**changed, "at_id": group.id,
                                           "at_directory": group.directory_id})
    tx.mark_written(group, changed)


def _check_unique(session, name: str, group_id: str) -> None:
    """Entra matches groups by displayName, so it is unique.

    Microsoft's "Tutorial: Develop and plan provisioning for a SCIM endpoint in Microsoft
    Entra ID" (Get Group by displayName); the unique index on display_name_key (the matching
    key, scim/casefold.py) decides between concurrent writers.
    """
    stmt = select(Group.id).where(Group.display_name_key == casefold.key(name),
                                  Group.id != group_id)
    if session.execute(stmt).first() is not None:
        raise errors.Conflict(f"displayName {name!r} is already in use", "displayName")


def _apply_attributes(data: dict, ops: list, unknown: str) -> dict:
    """Apply the operations that are not on members (displayName, externalId) with scim.patch."""
    if not ops:
        return data
    quirks = []
    after, ignored = scim_patch.apply(data, ops, GROUP_TYPE, unknown=unknown,
                                      max_value_length=settings.max_value_length(), quirks=quirks)
    for quirk in quirks:
        note(quirk)
    _note_ignored(ignored)
    return after
