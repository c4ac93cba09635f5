"""Operations: readiness, JSON logs with the request id, ProxyFix, graceful shutdown, backup."""

import json
import sqlite3
import subprocess
import threading
import time

import pytest
from sqlalchemy import func
from sqlalchemy import select

from app import create_app
from models import RequestLog
from models import User
from models import db
from tests.hardening.support import FreshClient
from tests.hardening.support import Http
from tests.hardening.support import Server
from tests.hardening.support import user_body
from tests.hardening.support import user_problems

ENTERPRISE_PROXY = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "rollcall.example.com",
                    "X-Forwarded-For": "198.51.100.7, 203.0.113.9"}



def test_readyz_is_503_when_the_database_is_unreachable(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "LOG_REQUESTS": False,
                      "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:9/none"})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"
    with app.app_context():
        db.engine.dispose()


def test_readyz_is_200_when_the_database_answers(client):
    assert client.get("/readyz").get_json() == {"status": "ok", "database": "ok"}


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_logs_are_json_lines_with_the_request_id(app, scim, capsys):
    app.test_client_class = FreshClient
    scim.client = app.test_client()
    capsys.readouterr()
    response = scim.post("Users", user_body("logged@example.com"))
    lines = json_lines(capsys.readouterr().err)

    [line] = [x for x in lines if x["logger"] == "rollcall.request"]
    assert line["request_id"] == response.headers["X-Request-Id"]
    assert (line["method"], line["path"], line["status"]) == ("POST", "/scim/v2/Users", 201)
    assert line["token"] == "test-token" and line["level"] == "INFO"
    assert "Authorization" not in json.dumps(lines)


@pytest.fixture
def failing_route(app):
    @app.get("/scim/v2/boom")
    def boom():
        raise RuntimeError("boom with Bearer rcscim_not-a-real-secret-at-all")
    return "/scim/v2/boom"


def test_an_unhandled_error_is_logged_as_json_without_secrets(app, failing_route, capsys):
    app.test_client_class = FreshClient
    capsys.readouterr()
    response = app.test_client().get(failing_route)
    assert response.status_code == 500
    [line] = [x for x in json_lines(capsys.readouterr().err) if x["level"] == "ERROR"]
    assert line["request_id"] == response.headers["X-Request-Id"]
    assert "RuntimeError" in line["exception"]
    assert "rcscim_not-a-real" not in json.dumps(line)


@pytest.mark.parametrize("app_config", [{"PROXY_FIX_COUNT": 1}])
def test_behind_a_proxy_meta_location_is_the_public_url(app, scim):
    response = scim.post("Users", user_body("proxied@example.com"), headers={
        **ENTERPRISE_PROXY, "X-Forwarded-Prefix": "/rollcall"})
    base = "https://rollcall.example.com/rollcall/scim/v2/Users/"
    assert response.get_json()["meta"]["location"].startswith(base)
    assert response.headers["Location"].startswith(base)
    app.extensions["rollcall_request_log"].flush()
    # One trusted proxy: the client address is the one it saw, not what the client claims.
    ip = db.session.execute(select(RequestLog.client_ip).order_by(RequestLog.id.desc())).scalar()
    assert ip == "203.0.113.9"


def test_without_proxy_fix_forwarded_headers_are_not_trusted(scim):
    response = scim.post("Users", user_body("direct@example.com"), headers=ENTERPRISE_PROXY)
    assert response.get_json()["meta"]["location"].startswith("http://localhost/scim/v2/")


def bulk_of(n: int) -> dict:
    return {"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
            "Operations": [{"method": "POST", "path": "/Users", "bulkId": str(i),
                            "data": user_body(f"bulk{i}@example.com")} for i in range(n)]}


def test_graceful_shutdown_finishes_requests_and_flushes_the_request_log(app, token, tmp_path):
    server = Server(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"], workers=1, threads=4,
                    GRACEFUL_TIMEOUT=30).start()
    http = Http(server.base, token)
    try:
        for i in range(20):
            assert http.call("GET", f"/scim/v2/Users?startIndex={i + 1}")[0] == 200
        result = {}
        bulk = threading.Thread(target=lambda: result.update(
            response=http.call("POST", "/scim/v2/Bulk", bulk_of(300), timeout=60)))
        bulk.start()
        time.sleep(0.3)  # the Bulk is in flight
        code = server.stop()
        bulk.join(60)
    finally:
        server.stop()
    assert code == 0, server.log()
    status, _, body = result["response"]
    assert status == 200 and {op["status"] for op in body["Operations"]} == {"201"}
    db.session.remove()
    # Every request is on the record: the log rows queued in memory were written at exit.
    logged = db.session.execute(select(func.count()).select_from(RequestLog)).scalar()
    assert logged == 21
    assert db.session.execute(select(func.count()).select_from(User)).scalar() == 300
    assert user_problems() == []


def test_sqlite_backup_while_serving_is_consistent(app, scim, tmp_path):
    """docs/operations.md: `VACUUM INTO` (or sqlite3 .backup) takes a consistent copy live."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgres"):
        pytest.skip("the SQLite backup; PostgreSQL uses pg_dump (next test)")
    stop = threading.Event()

    def writer():
        with app.app_context():
            client = app.test_client()
            i = 0
            while not stop.is_set():
                client.post("/scim/v2/Users", json=user_body(f"w{i}@example.com"),
                            headers=scim.headers)
                i += 1

    thread = threading.Thread(target=writer)
    thread.start()
    time.sleep(0.3)
    source = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    backup = tmp_path / "backup.sqlite"
    try:
        subprocess.run(["sqlite3", source, f".backup {backup}"], check=True, timeout=60)
    finally:
        stop.set()
        thread.join(30)
    with sqlite3.connect(backup) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    restored = create_app({"TESTING": True, "SECRET_KEY": "x", "LOG_REQUESTS": False,
                           "SQLALCHEMY_DATABASE_URI": f"sqlite:///{backup}"})
    with restored.app_context():
        assert db.session.execute(select(func.count()).select_from(User)).scalar() > 0
        assert user_problems() == []
        db.session.remove()
        db.engine.dispose()


def test_pg_dump_archives_the_database(app, scim, tmp_path):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("postgres"):
        pytest.skip("pg_dump needs PostgreSQL")
    scim.post("Users", user_body("dumped@example.com"))
    archive = tmp_path / "rollcall.dump"
    plain = url.replace("+psycopg", "")
    subprocess.run(["pg_dump", "--format=custom", f"--file={archive}", plain], check=True,
                   timeout=120)
    listing = subprocess.run(["pg_restore", "--list", str(archive)], check=True,
                             capture_output=True, text=True, timeout=60).stdout
    assert "TABLE DATA public users" in listing and "TABLE DATA public change_records" in listing
