"""Reading memberships: a user's direct and indirect groups, members' display names."""

from sqlalchemy import literal
from sqlalchemy import select

from models import Group
from models import GroupMember
from models import db


def groups_of(user_ids: list[str]) -> dict[str, list[tuple[str, str, bool]]]:
    """{user id: [(group id, displayName, direct)]} for a page of users, in one query.

    Indirect groups come from nested groups; `direct` is a 0/1 flag rather than a depth,
    so the recursion ends even when groups contain each other.
    """
    if not user_ids:
        return {}
    direct = select(GroupMember.user_id.label("user_id"), GroupMember.group_id.label("group_id"),
                    literal(1).label("direct")).where(GroupMember.user_id.in_(user_ids))
    tree = direct.cte("tree", recursive=True)
    parent = select(tree.c.user_id, GroupMember.group_id, literal(0)).join(
        GroupMember, GroupMember.member_group_id == tree.c.group_id)
    tree = tree.union(parent)
    rows = db.session.execute(
        select(tree.c.user_id, tree.c.group_id, Group.display_name, tree.c.direct)
        .join(Group, Group.id == tree.c.group_id)
        .order_by(Group.display_name)
    )
    out: dict[str, dict[str, tuple]] = {}
    for user_id, group_id, name, is_direct in rows:
        seen = out.setdefault(user_id, {})
        if group_id not in seen or is_direct:
            seen[group_id] = (group_id, name, bool(is_direct))
    return {user_id: list(groups.values()) for user_id, groups in out.items()}

