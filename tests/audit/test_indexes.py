"""Every viewer filter is served by an index, so pages stay fast at millions of rows.

These read query plans; they time nothing.
"""

from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy import text

from models import ChangeRecord
from models import RequestLog
from models import db
from services.audit import query as audit_query

REQUESTS = [
    audit_query.RequestFilter(status=4),
    audit_query.RequestFilter(method="PATCH"),
    audit_query.RequestFilter(resource_type="Group"),
    audit_query.RequestFilter(token="entra"),
    audit_query.RequestFilter(since=datetime(2024, 1, 1), until=datetime(2024, 1, 2)),
    audit_query.RequestFilter(q="bjensen@example.com"),
    audit_query.RequestFilter(q="0f8fad5b-d9cb-469f-a165-70867728950e"),
    # Part of a name: a trigram index on PostgreSQL, a prefix range on SQLite.
    audit_query.RequestFilter(q="david.schm"),
    audit_query.RequestFilter(q="Øster"),
]
CHANGES = [
    audit_query.ChangeFilter(actor="entra"),
    audit_query.ChangeFilter(action="user.patch"),
    audit_query.ChangeFilter(action="user."),
    audit_query.ChangeFilter(resource_type="User"),
    audit_query.ChangeFilter(since=datetime(2024, 1, 1), until=datetime(2024, 1, 2)),
    audit_query.ChangeFilter(q="david.schm"),
    audit_query.ChangeFilter(q="Żółć"),
]


def plan(stmt) -> str:
    sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(text("SET enable_seqscan = off"))
            rows = conn.execute(text("EXPLAIN " + sql)).scalars()
        else:
            rows = (r[-1] for r in conn.execute(text("EXPLAIN QUERY PLAN " + sql)))
        return "\n".join(rows)


def uses_an_index(table: str, query_plan: str) -> bool:
    if db.engine.dialect.name == "postgresql":
        return f"Seq Scan on {table}" not in query_plan
    return f"SCAN {table}" not in query_plan or "USING INDEX" in query_plan


@pytest.mark.parametrize("f", REQUESTS, ids=lambda f: ",".join(f.args()))
def test_request_filters_use_an_index(app, f):
    stmt = (select(RequestLog).where(*audit_query.request_conditions(f), RequestLog.id < 10**9)
            .order_by(RequestLog.id.desc()).limit(50))
    query_plan = plan(stmt)
    assert uses_an_index("request_log", query_plan), query_plan


@pytest.mark.parametrize("f", CHANGES, ids=lambda f: ",".join(f.args()))
def test_change_filters_use_an_index(app, f):
    stmt = (select(ChangeRecord).where(*audit_query.change_conditions(f))
            .order_by(ChangeRecord.id.desc()).limit(50))
    query_plan = plan(stmt)
    assert uses_an_index("change_records", query_plan), query_plan


@pytest.mark.parametrize("model", [RequestLog, ChangeRecord])
def test_the_sealer_finds_unsealed_records_by_index(app, model):
    stmt = select(model.id).where(model.seq.is_(None)).order_by(model.id).limit(5)
    query_plan = plan(stmt)
    assert "seq" in query_plan, query_plan


@pytest.mark.parametrize(("model", "f", "index"), [
    (ChangeRecord, audit_query.ChangeFilter(q="david.schm"), "resource_name"),
    (ChangeRecord, audit_query.ChangeFilter(q="Łukasz.Żół"), "resource_name"),
    (RequestLog, audit_query.RequestFilter(q="ølsen@exa"), "looked_up"),
])
def test_part_of_a_name_is_found_through_its_own_index(app, model, f, index):
    """Not a backward walk of the primary key filtering a million rows: the name's index."""
    conditions = (audit_query.change_conditions(f) if model is ChangeRecord
                  else audit_query.request_conditions(f))
    query_plan = plan(select(model.id).where(*conditions))
    if db.engine.dialect.name == "postgresql":
        assert f"_{index}_search" in query_plan, query_plan  # the pg_trgm GIN index
    else:
        assert f"USING INDEX ix_{model.__tablename__}_{index}" in query_plan, query_plan
