"""A database outage loses no request-log row and answers 503 with Retry-After.

The outage is a PostgreSQL address where nothing listens (nobody else's server is
stopped), or, for the writer, an engine on a database file without the table.
"""

import json

from sqlalchemy import create_engine
from sqlalchemy import func
from sqlalchemy import select

from models import RequestLog
from models import db
from models import utcnow
from services.audit import requestlog
from tests.conftest import make_app
from tests.hardening.support import new_token

GONE = "postgresql+psycopg://postgres@127.0.0.1:1/gone?connect_timeout=2"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def row(n: int) -> dict:
    return {"at": utcnow(), "request_id": f"req-{n}", "token_id": None, "token_name": "Ørsted",
            "token_prefix": None, "client_ip": "192.0.2.1", "user_agent": "Ünïcode/1.0",
            "method": "GET", "path": f"/scim/v2/Users?n={n}", "status": 200, "duration_ms": 1,
            "resource_type": None, "resource_id": None, "error": None, "notes": None}


def logged() -> list[str]:
    db.session.remove()
    return list(db.session.execute(select(RequestLog.request_id).order_by(RequestLog.id)).scalars())


def test_a_scim_request_during_an_outage_is_a_503_and_its_row_is_spooled(tmp_path):
    spool = tmp_path / "spool.jsonl"
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=GONE, REQUEST_LOG_SPOOL=str(spool))
    with app.app_context():
        response = app.test_client().get("/scim/v2/Users?filter=userName eq \"Zoë\"",
                                         headers={"Authorization": "Bearer rcscim_whatever"})
        db.engine.dispose()
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    body = response.get_json()
    assert body["schemas"] == [ERROR] and body["status"] == "503"
    assert response.content_type == "application/scim+json"
    [spooled] = [json.loads(line) for line in spool.read_text().splitlines()]
    assert spooled["status"] == 503 and "Zoë" in spooled["path"]
    assert "rcscim_whatever" not in spool.read_text()


def test_spooled_rows_are_replayed_in_order_when_the_database_is_back(app, tmp_path):
    spool = str(tmp_path / "replay.jsonl")
    broken = create_engine(f"sqlite:///{tmp_path}/empty.sqlite")  # no request_log table
    writer = requestlog.Writer(broken, asynchronous=False, spool=spool, seal_interval=None)
    for n in range(3):
        writer.record(row(n), None)
    assert requestlog.spooled_count(spool) == 3 and logged() == []

    writer.engine = db.engine  # the database is back
    writer.record(row(3), None)
    assert logged() == ["req-0", "req-1", "req-2", "req-3"]
    assert requestlog.spooled_count(spool) == 0 and requestlog.lost_count(spool) == 0
    broken.dispose()


def test_the_background_writer_retries_then_spools_then_replays(app, tmp_path):
    spool = str(tmp_path / "async.jsonl")
    broken = create_engine(f"sqlite:///{tmp_path}/empty.sqlite")
    writer = requestlog.Writer(broken, asynchronous=True, spool=spool, seal_interval=0.1,
                               retry_delays=(0.01, 0.02))
    writer.record(row(0), None)
    writer.flush()
    assert requestlog.spooled_count(spool) == 1
    writer.engine = db.engine
    writer.record(row(1), None)
    writer.flush()
    writer.stop()
    assert logged() == ["req-0", "req-1"]
    broken.dispose()


def test_rows_that_cannot_be_kept_are_counted_and_shown(app, tmp_path, runner):
    spool = str(tmp_path / "no-such-dir" / "spool.jsonl")
    broken = create_engine(f"sqlite:///{tmp_path}/empty.sqlite")
    writer = requestlog.Writer(broken, asynchronous=False, spool=spool, seal_interval=None)
    writer.record(row(0), None)
    writer.record(row(1), None)
    broken.dispose()
    assert requestlog.lost_count(spool) == 2  # counted in this process: no file either

    app_spool = app.config["REQUEST_LOG_SPOOL"]
    requestlog._count_lost(app_spool, 2)
    assert requestlog.lost_count() == 2  # the app's spool by default, from its file
    output = runner.invoke(args=["audit", "verify"]).output
    assert "2 request-log rows were lost" in output


def test_the_dashboard_shows_lost_and_waiting_rows(app, tmp_path):
    from tests.admin.helpers import FreshClient
    from tests.admin.helpers import make_account
    from tests.admin.helpers import sign_in

    requestlog._count_lost(app.config["REQUEST_LOG_SPOOL"], 3)
    make_account("Zoë")
    app.test_client_class = FreshClient
    client = app.test_client()
    sign_in(client, "Zoë")
    html = client.get("/admin/").get_data(as_text=True)
    assert "3 request-log rows were lost" in html


def test_a_request_after_the_outage_is_written_with_the_spooled_ones(app, client, tmp_path):
    secret = new_token()
    writer = requestlog.writer_for(app)
    working = writer.engine
    writer.engine = create_engine(f"sqlite:///{tmp_path}/empty.sqlite")
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/scim/v2/Users", headers=headers).status_code == 200
    assert logged() == [] and requestlog.spooled_count(app.config["REQUEST_LOG_SPOOL"]) == 1
    writer.engine.dispose()
    writer.engine = working
    assert client.get("/scim/v2/Groups", headers=headers).status_code == 200
    db.session.remove()
    count = db.session.execute(select(func.count()).select_from(RequestLog)).scalar()
    assert count == 2
