"""Query plans of the hot statements stay index searches once the planner has statistics.

Statistics come from ANALYZE (an operator, SQLite's `PRAGMA optimize`, PostgreSQL's
autovacuum); a plan that is good only without them turns bad in production later.
"""

import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlalchemy import insert
from sqlalchemy import text

from models import Group
from models import GroupMember
from models import User
from models import UserValue
from models import db
from models import utcnow
from services.groups import reads as memberships
from tests.conftest import IS_POSTGRES
from tests.conftest import user_body

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


# The tables that grow with the directory: a plan that reads one of them whole is a
# request whose cost grows with the tenant.
_LARGE = ("users", "user_values", "group_members", "groups", "change_records", "events",
          "request_log")


def _seed_directory(count: int) -> list[str]:
    """`count` users as Entra leaves them: no manager, a work email, an employeeNumber."""
    users, values, now = [], [], utcnow()
    for i in range(count):
        user_id, name = str(uuid.uuid4()), f"seed{i}@example.com"
        users.append({"id": user_id, "user_name": name, "user_name_key": name,
                      "external_id": f"ext{i}", "employee_number": f"E{i}",
                      "data": {"userName": name}, "version": 1, "created": now,
                      "last_modified": now})
        values.append({"user_id": user_id, "attr": "emails", "value": name,
                       "value_key": name, "type": "work", "primary": True, "entry": {}})
    db.session.execute(insert(User), users)
    db.session.execute(insert(UserValue), values)
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return [u["id"] for u in users]


@contextmanager
def _plans():
    """EXPLAIN QUERY PLAN of every statement the block sends, with its own parameters."""
    seen = []

    def before(conn, cursor, statement, parameters, context, executemany):
        head = statement.lstrip().split(None, 1)[0].upper()
        if not executemany and head in ("SELECT", "UPDATE", "DELETE", "INSERT", "WITH"):
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def _scans(seen) -> list[str]:
    found = []
    with db.engine.connect() as conn:
        for statement, parameters in seen:
            cursor = conn.connection.dbapi_connection.cursor()
            for row in cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters):
                step = row[-1]
                if any(step == f"SCAN {t}" or step.startswith(f"SCAN {t} ") for t in _LARGE):
                    found.append(f"{step}: {' '.join(statement.split())[-260:]}")
    return found


def test_an_entra_cycle_reads_no_large_table_whole_after_analyze(app, scim):
    """Every statement of creates, PATCHes, deactivation, deletion and member adds is an
    index search once ANALYZE has seen a directory where most optional columns are NULL
    (a full index of such a column is rated useless, and SQLite then scans)."""
    seeded = _seed_directory(3000)
    ext = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    patch = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    with _plans() as seen:
        boss = scim.post("Users", user_body("Øyvind.Boss@example.com", externalId="boss",
                                            **{ext: {"employeeNumber": "B1"}}))
        report = scim.post("Users", user_body("Éva.Report@example.com", externalId="report",
                                              **{ext: {"manager": {"value": "B2"}}}))
        assert boss.status_code == report.status_code == 201
        boss_id = boss.get_json()["id"]
        assert scim.get('Users?filter=userName eq "seed7@example.com"').status_code == 200
        assert scim.get('Users?filter=externalId eq "ext8"').status_code == 200
        assert scim.patch(f"Users/{boss_id}", {"schemas": [patch], "Operations": [
            {"op": "Replace", "path": "title", "value": "Chef"}]}).status_code == 200
        assert scim.patch(f"Users/{seeded[9]}", {"schemas": [patch], "Operations": [
            {"op": "Replace", "path": "active", "value": "False"}]}).status_code == 200
        group = scim.post("Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                     "displayName": "İstanbul ß"})
        assert group.status_code == 201
        add = {"schemas": [patch], "Operations": [{"op": "Add", "path": "members", "value": [
            {"value": u} for u in seeded[:20]]}]}
        assert scim.patch(f"Groups/{group.get_json()['id']}", add).status_code in (200, 204)
        assert scim.delete(f"Users/{boss_id}").status_code == 204
        assert scim.delete(f"Users/{seeded[3]}").status_code == 204
    assert len(seen) > 20
    scans = _scans(seen)
    assert not scans, "\n".join(scans)
