"""Query plans of the hot statements stay index searches once the planner has statistics.

Statistics come from ANALYZE (an operator, SQLite's `PRAGMA optimize`, PostgreSQL's
autovacuum); a plan that is good only without them turns bad in production later.
On PostgreSQL, whose planner may rightly scan a small test table, the check is weaker:
sequential scans are priced out (`enable_seqscan = off`), and one left over is a
statement that no index serves at all. (PostgreSQL keeps NULL fractions in its
statistics, so the mostly-NULL columns that misled SQLite do not mislead it.)
"""

import uuid
import json
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

sqlite_only = pytest.mark.skipif(IS_POSTGRES, reason="reads SQLite's EXPLAIN QUERY PLAN")


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


@sqlite_only
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
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


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
def _statements():
    """Every statement the block sends that a planner plans, with its own parameters."""
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


def _full_reads(seen) -> list[str]:
    """The steps of these statements' plans that read a growing table whole."""
    found = []
    with db.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        for statement, parameters in seen:
            for step in (_pg_steps if IS_POSTGRES else _sqlite_steps)(raw, statement, parameters):
                if any(step in (f"SCAN {t}", f"Seq Scan on {t}")
                       or step.startswith((f"SCAN {t} ", f"Seq Scan on {t} ")) for t in _LARGE):
                    found.append(f"{step}: …{' '.join(statement.split())[-240:]}")
        conn.rollback()
    return found


def _sqlite_steps(raw, statement, parameters):
    return [row[-1] for row in raw.execute("EXPLAIN QUERY PLAN " + statement, parameters)]


def _pg_steps(raw, statement, parameters):
    with raw.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    steps, todo = [], [plan[0]["Plan"]]
    while todo:
        node = todo.pop()
        if node["Node Type"] == "Seq Scan":
            steps.append(f"Seq Scan on {node['Relation Name']}")
        todo += node.get("Plans", [])
    return steps


def _ok(response, *statuses):
    assert response.status_code in statuses, response.get_data(as_text=True)
    return response.get_json() if response.status_code != 204 else None


def _patch(*operations):
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def test_an_entra_cycle_reads_no_large_table_whole(app, scim):
    """Every statement of Entra's requests is an index search once ANALYZE has seen a
    directory where most optional columns are NULL (a full index of such a column is
    rated useless, and SQLite then read every user on each create and DELETE)."""
    seeded = _seed_directory(3000)
    with _statements() as seen:
        boss = _ok(scim.post("Users", user_body(
            "Øyvind.Boss@example.com", externalId="boss", **{ENTERPRISE: {"employeeNumber": "B1"}})), 201)
        report = _ok(scim.post("Users", user_body(
            "Éva.Report@example.com", externalId="report",
            **{ENTERPRISE: {"manager": {"value": "B2"}}})), 201)
        _ok(scim.patch(f"Users/{boss['id']}", _patch(
            {"op": "replace", "path": f"{ENTERPRISE}:employeeNumber", "value": "B2"})), 200)
        _ok(scim.get(f"Users/{report['id']}"), 200)
        _ok(scim.get('Users?filter=userName eq "seed7@example.com"'), 200)
        _ok(scim.get('Users?filter=userName eq "ＦＵＬＬ@example.com"'), 200)
        _ok(scim.get('Users?filter=externalId eq "ext8"'), 200)
        _ok(scim.get('Users?filter=emails[type eq "work"].value eq "seed9@example.com"'), 200)
        _ok(scim.patch(f"Users/{boss['id']}", _patch(
            {"op": "Replace", "path": "title", "value": "Chef"})), 200)
        _ok(scim.put(f"Users/{seeded[5]}", user_body("seed5@example.com", title="Straße")), 200)
        _ok(scim.patch(f"Users/{seeded[9]}", _patch(
            {"op": "Replace", "path": "active", "value": "False"})), 200)
        group = _ok(scim.post("Groups", {"schemas": [GROUP], "displayName": "İstanbul ß"}), 201)
        _ok(scim.get('Groups?filter=displayName eq "İstanbul ß"&excludedAttributes=members'), 200)
        _ok(scim.patch(f"Groups/{group['id']}", _patch({"op": "Add", "path": "members", "value": [
            {"value": u} for u in [*seeded[:20], boss["id"]]]})), 200, 204)
        _ok(scim.patch(f"Groups/{group['id']}", _patch(
            {"op": "Remove", "path": f'members[value eq "{seeded[0]}"]'})), 200, 204)
        _ok(scim.get(f"Groups/{group['id']}"), 200)
        _ok(scim.delete(f"Users/{boss['id']}"), 204)
        _ok(scim.delete(f"Users/{seeded[3]}"), 204)
        _ok(scim.delete(f"Groups/{group['id']}"), 204)
    assert len(seen) > 40
    full = _full_reads(seen)
    assert not full, "\n".join(full)
