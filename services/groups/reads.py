"""Reading memberships: a user's groups, a group's members, and members as a filter target."""

from datetime import UTC

from sqlalchemy import bindparam
from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import union_all
from sqlalchemy.orm import aliased

from models import Group
from models import GroupMember
from models import User
from models import db
from scim import query
from scim.errors import InvalidFilter
from scim.schema import GROUP

# Members are streamed from the database in slices of this many rows.
STREAM = 5000


def _groups_statement():
    """The recursive membership query, built once: building it per call cost ~40% of a lookup.

    Indirect groups come from nested groups; `direct` is a 0/1 flag rather than a depth,
    so the recursion ends even when groups contain each other.
    """
    direct = select(GroupMember.user_id.label("user_id"), GroupMember.group_id.label("group_id"),
                    literal(1).label("direct")).where(
        GroupMember.user_id.in_(bindparam("user_ids", expanding=True)))
    tree = direct.cte("tree", recursive=True)
    parent = select(tree.c.user_id, GroupMember.group_id, literal(0)).join(
        GroupMember, GroupMember.member_group_id == tree.c.group_id)
    tree = tree.union(parent)
    return (select(tree.c.user_id, tree.c.group_id, Group.display_name, tree.c.direct)
            .join(Group, Group.id == tree.c.group_id).order_by(Group.display_name))


GROUPS_OF = _groups_statement()


def groups_of(user_ids: list[str]) -> dict[str, list[tuple[str, str, bool]]]:
    """{user id: [(group id, displayName, direct)]} for a page of users, in one query."""
    if not user_ids:
        return {}
    # Core rows on the session's connection: the ORM's execute path doubled this query's cost.
    rows = db.session.connection().execute(GROUPS_OF, {"user_ids": list(user_ids)})
    out: dict[str, dict[str, tuple]] = {}
    for user_id, group_id, name, is_direct in rows:
        seen = out.setdefault(user_id, {})
        if group_id not in seen or is_direct:
            seen[group_id] = (group_id, name, bool(is_direct))
    return {user_id: list(groups.values()) for user_id, groups in out.items()}


def members_of(group_ids: list[str], base_url: str) -> dict[str, list[dict]]:
    """{group id: [member]} for a page of groups, in one joined query (RFC 7643 §4.2).

    Each member carries `value`, `$ref`, `type` and `display` only when the client sent
    one (RFC 7643 §4.2: a client compares what it wrote with what it reads); users hidden
    by a soft delete are left out. Rows are streamed, never loaded as ORM objects.
    """
    if not group_ids:
        return {}
    stmt = (
        select(GroupMember.group_id, GroupMember.user_id, GroupMember.member_group_id,
               GroupMember.display)
        .outerjoin(User, User.id == GroupMember.user_id)
        .where(GroupMember.group_id.in_(group_ids),
               or_(GroupMember.user_id.is_(None), User.hidden.is_(False)))
        .order_by(GroupMember.group_id, GroupMember.id)
        .execution_options(yield_per=STREAM)
    )
    users, groups = f"{base_url}/Users/", f"{base_url}/Groups/"
    out: dict[str, list[dict]] = {}
    rows = db.session.connection().execute(stmt)  # Core rows: no ORM loading for 100,000s
    for group_id, user_id, member_group_id, display in rows:
        if user_id is not None:
            member = {"value": user_id, "$ref": users + user_id, "type": "User"}
        else:
            member = {"value": member_group_id, "$ref": groups + member_group_id, "type": "Group"}
        if display is not None:
            member["display"] = display
        out.setdefault(group_id, []).append(member)
    return out


def member_view():
    """Every membership as one row (id, group_id, value, type, display), users and groups alike.

    A UNION ALL of two joins: a condition on `value` is pushed into each arm, where the
    (group_id, user_id) and member_group_id indexes answer it.
    """
    nested = aliased(Group)
    users = (select(GroupMember.id.label("id"), GroupMember.group_id.label("group_id"),
                    GroupMember.user_id.label("value"), literal("User").label("type"),
                    func.coalesce(User.display_name, User.user_name).label("display"))
             .join(User, User.id == GroupMember.user_id).where(User.hidden.is_(False)))
    groups = (select(GroupMember.id, GroupMember.group_id, GroupMember.member_group_id,
                     literal("Group"), nested.display_name)
              .join(nested, nested.id == GroupMember.member_group_id))
    return union_all(users, groups).subquery("members")


def _naive(value):
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


GROUP_COLUMNS = {
    ("displayname", None): query.Column(Group.display_name),
    ("externalid", None): query.Column(Group.external_id, case_exact=True),
    ("id", None): query.Column(Group.id, case_exact=True),
    ("meta", "created"): query.Column(Group.created, "dateTime", convert=_naive),
    ("meta", "lastmodified"): query.Column(Group.last_modified, "dateTime", convert=_naive),
}


def member_columns(view) -> dict[str, query.Column]:
    """The sub-attributes of `members` that filters may name (lower case)."""
    return {"value": query.Column(view.c.value, case_exact=True),
            "type": query.Column(view.c.type),
            "display": query.Column(view.c.display)}


def group_resolver(path):
    """The filter resolver for Groups (RFC 7644 §3.4.2.2): indexed columns and `members`.

    :raise InvalidFilter: for an attribute Groups do not have.
    """
    if path.urn is not None and path.urn.lower() != GROUP.lower():
        raise InvalidFilter(f"unknown schema {path.urn!r}")
    name = path.attr.lower()
    column = GROUP_COLUMNS.get((name, path.sub.lower() if path.sub else None))
    if column is not None:
        return column
    if name == "members" and path.sub is None:
        view = member_view()

        def exists(condition):
            rows = select(view.c.group_id)
            # IN (…) rather than a correlated EXISTS, as for users' multi-valued attributes.
            return Group.id.in_(rows if condition is None else rows.where(condition))

        return query.Multi(exists=exists, subs=member_columns(view))
    if name == "meta" and path.sub is None:
        return query.Complex()
    raise InvalidFilter(f"unknown attribute {path.attr!r}")
