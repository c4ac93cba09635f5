"""A group of 100,000 members: membership PATCH costs a bounded number of SQL statements.

The rows are built directly in SQL (one INSERT … SELECT each for users and memberships),
then every measurement goes through HTTP as Entra sends it.
"""

import time

import pytest
from sqlalchemy import String
from sqlalchemy import cast
from sqlalchemy import insert
from sqlalchemy import literal
from sqlalchemy import select

from models import Group
from models import GroupMember
from models import User
from models import db
from models import utcnow
from tests.sql import statements

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BIG = 100_000
# Statements of one membership PATCH, request log and token lookup included.
BOUND = 15
# Per-request bookkeeping whose caches refresh on their own clock; not membership work.
NOISE = ("settings", "custom_fields", "api_tokens", "request_log")


def work(seen: list[str]) -> list[str]:
    """The membership work: the statements without the noise and transaction control.

    A cache refresh that reads first makes the write transaction's BEGIN a second one.
    """
    return [s for s in seen if not any(name in s for name in NOISE)
            and s.split()[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK")]


def bulk_users(prefix: str, count: int) -> None:
    """Insert `count` users with one INSERT … SELECT over a recursive counter."""
    n = select(literal(1).label("i")).cte("n", recursive=True)
    n = n.union_all(select(n.c.i + 1).where(n.c.i < count))
    number = cast(n.c.i, String)
    now = utcnow()
    rows = select(
        literal(f"{prefix}-") + number, literal(f"{prefix}") + number + literal("@example.com"),
        literal("Member ") + number, literal(True), literal(False), literal(False),
        literal({"userName": "generated"}, User.data.type), literal(1), literal(now),
        literal(now),
    ).select_from(n)
    columns = ["id", "user_name", "display_name", "active", "seat_waiting", "hidden", "data",
               "version", "created", "last_modified"]
    db.session.execute(insert(User).from_select(columns, rows))


def fill(group_id: str, prefix: str, count: int) -> None:
    bulk_users(prefix, count)
    members = select(literal(group_id), User.id).where(User.id.like(f"{prefix}-%"))
    db.session.execute(insert(GroupMember).from_select(["group_id", "user_id"], members))
    db.session.commit()


def ops(*operations):
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def member_count(group_id: str) -> int:
    db.session.rollback()
    stmt = select(db.func.count()).where(GroupMember.group_id == group_id)
    return db.session.execute(stmt).scalar()


def measure(scim, group_id: str, user_id: str) -> tuple[list[str], list[str]]:
    """(statements of adding `user_id`, statements of removing it), via HTTP PATCH."""
    add = ops({"op": "Add", "path": "members", "value": [{"$ref": None, "value": user_id}]})
    remove = ops({"op": "remove", "path": f'members[value eq "{user_id}"]'})
    with statements() as added:
        assert scim.patch(f"Groups/{group_id}", add).status_code == 204
    with statements() as removed:
        assert scim.patch(f"Groups/{group_id}", remove).status_code == 204
    return added, removed


@pytest.fixture
def big(scim):
    group = scim.post("Groups", {"displayName": "Everyone"}).get_json()
    started = time.perf_counter()
    fill(group["id"], "big", BIG)
    assert member_count(group["id"]) == BIG
    print(f"built {BIG} members in {time.perf_counter() - started:.1f}s")
    return group["id"]


def test_a_100000_member_group(scim, make_user, big):
    """One test, as building the rows is the slow part (seconds on PostgreSQL)."""
    patch_costs_the_same_for_10_and_100000_members(scim, make_user, big)
    reads_and_deletes(scim, big)


def patch_costs_the_same_for_10_and_100000_members(scim, make_user, big):
    small = scim.post("Groups", {"displayName": "Ten"}).get_json()["id"]
    fill(small, "small", 10)
    newcomer = make_user("newcomer@example.com")["id"]
    scim.get("Groups?count=1&excludedAttributes=members")  # warm the per-process caches

    small_add, small_remove = measure(scim, small, newcomer)
    big_add, big_remove = measure(scim, big, newcomer)

    print(f"statements: add {len(small_add)}/{len(big_add)}, "
          f"remove {len(small_remove)}/{len(big_remove)} (10/{BIG} members)")
    for seen in (small_add, small_remove, big_add, big_remove):
        assert len(seen) <= BOUND, "\n".join(s[:100].replace("\n", " ") for s in seen)
    assert len(work(big_add)) == len(work(small_add)), (work(small_add), work(big_add))
    assert len(work(big_remove)) == len(work(small_remove))
    assert member_count(big) == BIG and member_count(small) == 10


def reads_and_deletes(scim, big):
    with statements() as seen:
        response = scim.get(f"Groups/{big}?excludedAttributes=members")
    assert response.status_code == 200 and "members" not in response.get_json()
    assert not [s for s in seen if "group_members" in s]
    with statements() as seen:
        response = scim.get('Groups?filter=displayName eq "everyone"&excludedAttributes=members')
    assert response.get_json()["totalResults"] == 1
    assert not [s for s in seen if "group_members" in s]

    started = time.perf_counter()
    with statements() as seen:
        body = scim.get(f"Groups/{big}").get_json()
    print(f"GET with {BIG} members: {time.perf_counter() - started:.2f}s")
    assert len(body["members"]) == BIG
    assert body["members"][0] == {"value": "big-1", "$ref": "http://localhost/scim/v2/Users/big-1",
                                  "type": "User"}
    assert len([s for s in seen if "group_members" in s]) == 1

    found = scim.get('Groups?filter=members[value eq "big-77"]&excludedAttributes=members')
    assert [r["id"] for r in found.get_json()["Resources"]] == [big]

    started = time.perf_counter()
    assert scim.delete(f"Groups/{big}").status_code == 204
    print(f"DELETE with {BIG} members: {time.perf_counter() - started:.2f}s")
    assert member_count(big) == 0
    assert scim.get(f"Groups/{big}").status_code == 404
    assert db.session.execute(select(db.func.count()).select_from(User)).scalar() >= BIG
    assert db.session.get(Group, big) is None
