"""A cursor page (RFC 9865) is one index seek, as cheap at the millionth row as at the first.

The plans are read after ANALYZE (see tests/perf/test_query_plans.py for why): each
cursor statement must seek on the listing index to the cursor's key and read the page
in index order, with no scan of the table and no sort of what precedes the position.
"""

import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import insert
from sqlalchemy import text

from models import Group
from models import User
from models import db
from models import utcnow
from scim.cursor import Position
from services.resources import cursor_pages
from services.resources import listing
from services.resources import root_search
from services.resources.cursor_pages import Key
from tests.conftest import IS_POSTGRES

ROWS = 3000


@pytest.fixture
def population(app):
    """ROWS users and ROWS groups created a second apart; returns a position mid-way."""
    start = utcnow()
    for model, name in ((User, "user_name"), (Group, "display_name")):
        db.session.execute(insert(model), [
            {"id": str(uuid.uuid4()), name: f"Ø{i}", "data": {}, "version": 1,
             "created": start + timedelta(seconds=i), "last_modified": start}
            for i in range(ROWS)])
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return start + timedelta(seconds=ROWS // 2)


def statements(middle) -> dict:
    at = (middle, "8")
    out = {}
    # The conditions listing.page gives: the directory first, as the listing index leads.
    for model, conditions in ((User, [User.directory_id == 1, User.hidden.is_(False)]),
                              (Group, [Group.directory_id == 1])):
        key = Key(model.created, model.id)
        for backward in (False, True):
            name = f"{model.__tablename__} {'back' if backward else 'next'}"
            out[name] = cursor_pages.statement(model, conditions, key, Position(at, backward),
                                               100)
    out["root next"] = root_search.statement(listing.Search(cursor="c", count=100),
                                             Position(at))
    return out


def _sql(stmt) -> str:
    return str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))


@pytest.mark.skipif(IS_POSTGRES, reason="reads SQLite's EXPLAIN QUERY PLAN")
def test_sqlite_seeks_on_the_listing_indexes(population):
    for name, stmt in statements(population).items():
        sql = _sql(stmt)
        rows = db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + sql)
        plan = [r[-1] for r in rows]
        seeks = [s for s in plan if s.startswith("SEARCH") and "_listing" in s]
        assert len(seeks) == (2 if name.startswith("root") else 1), (name, plan)
        assert all("(created,id)" in s for s in seeks), (name, plan)
        assert not [s for s in plan if s.startswith(("SCAN users", "SCAN groups"))], plan
        if not name.startswith("root"):  # the root merges two pages: a sort of 2 × 101 rows
            assert not [s for s in plan if "TEMP B-TREE" in s], (name, plan)


@pytest.mark.skipif(not IS_POSTGRES, reason="reads PostgreSQL's EXPLAIN")
def test_postgresql_seeks_on_the_listing_indexes(population):
    for name, stmt in statements(population).items():
        found = db.session.connection().exec_driver_sql(
            "EXPLAIN (FORMAT JSON) " + _sql(stmt)).scalar()
        nodes = list(_nodes(found[0]["Plan"] if isinstance(found, list) else
                            json.loads(found)[0]["Plan"]))
        tables = [n for n in nodes if n.get("Relation Name") in ("users", "groups")]
        assert tables, name
        for node in tables:  # each table read by a seek that starts at the cursor's key
            assert node["Node Type"].startswith("Index"), (name, node)
            assert "created" in node.get("Index Cond", ""), (name, node)
        # A Sort over an unlimited scan would read everything past the position; the
        # root search may sort the two limited pages it merges.
        for sort in (n for n in nodes if n["Node Type"] == "Sort"):
            assert all(_bounded(c) for c in sort.get("Plans", [])), (name, sort)


def _bounded(plan) -> bool:
    """Whether every read of users or groups below `plan` is under a Limit."""
    if plan["Node Type"] == "Limit":
        return True
    if plan.get("Relation Name") in ("users", "groups"):
        return False
    return all(_bounded(c) for c in plan.get("Plans", []))


def _nodes(plan):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)
