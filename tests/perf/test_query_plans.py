"""Query plans of the hot statements stay index searches once the planner has statistics.

Statistics come from ANALYZE (an operator, SQLite's `PRAGMA optimize`, PostgreSQL's
autovacuum); a plan that is good only without them turns bad in production later.
"""

import uuid

import pytest
from sqlalchemy import insert
from sqlalchemy import text

from models import Group
from models import GroupMember
from models import User
from models import db
from models import utcnow
from services.groups import reads as memberships
from tests.conftest import IS_POSTGRES

pytestmark = pytest.mark.skipif(IS_POSTGRES, reason="reads SQLite's EXPLAIN QUERY PLAN")


def _group(name: str) -> str:
    group_id = str(uuid.uuid4())
    now = utcnow()
    db.session.execute(insert(Group), [{"id": group_id, "display_name": name, "data": {},
                                        "version": 1, "created": now, "last_modified": now}])
    return group_id


def _plan(stmt) -> list[str]:
    sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
    rows = db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + sql)
    return [row[-1] for row in rows]


def test_a_users_groups_are_index_searches_after_analyze(app):
    users = [str(uuid.uuid4()) for _ in range(5000)]
    now = utcnow()
    db.session.execute(insert(User), [
        {"id": i, "user_name": f"{i}@example.com", "data": {"userName": f"{i}@example.com"},
         "version": 1, "created": now, "last_modified": now} for i in users])
    everyone = _group("Everyone")  # and no nested group: Entra's usual directory
    db.session.execute(insert(GroupMember), [{"group_id": everyone, "user_id": i} for i in users])
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()

    plan = _plan(memberships.GROUPS_OF.params(user_ids=[users[0]]))

    assert not [step for step in plan if step.startswith("SCAN group_members")], plan
    assert [g[1] for g in memberships.groups_of([users[0]])[users[0]]] == ["Everyone"]
