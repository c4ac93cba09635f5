"""Helpers for the hardening tests: HTTP calls, gunicorn servers, database invariants."""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from flask import g
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select

from models import ChangeRecord
from models import User
from models import UserValue
from models import db
from scim.schema import ENTERPRISE
from services import tokens
from services.actor import CLI
from services.users import store as user_store

# Database 15 of the local Redis: the tests empty it, so it must be nobody else's.
REDIS = "redis://127.0.0.1:6379/15"

ROOT = Path(__file__).resolve().parents[2]
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"


class FreshClient(FlaskClient):
    """A test client that starts each request with an empty `g`, as a server does.

    The suite's app fixture keeps an app context pushed, so `g` outlives a request, and
    Flask-Login, Flask-WTF and the request id cache in `g`.
    """

    def open(self, *args, **kwargs):
        for key in list(g):
            g.pop(key)
        return super().open(*args, **kwargs)


def new_token(name: str = "hardening") -> str:
    return tokens.issue(name, 30, CLI)[1]


def user_body(user_name: str, **extra) -> dict:
    body = {"schemas": [USER_SCHEMA], "userName": user_name, "active": True,
            "emails": [{"value": user_name, "type": "work", "primary": True}]}
    body.update(extra)
    return body


def patch_body(*operations) -> dict:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def run_together(jobs, timeout: float = 60):
    """Run each job() in its own thread, released at once by a barrier; returns results.

    An exception in a job is returned as its result, so the caller sees it.
    """
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def worker(index, job):
        barrier.wait()
        try:
            results[index] = job()
        except Exception as error:  # reported to the test, not swallowed
            results[index] = error

    threads = [threading.Thread(target=worker, args=(i, j)) for i, j in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return results


class Http:
    """A tiny HTTP client for a live server: one connection per call, always closed."""

    def __init__(self, base: str, token: str | None = None):
        self.host, _, port = base.removeprefix("http://").partition(":")
        self.port = int(port)
        self.token = token

    def call(self, method, path, body=None, headers=None, timeout=30):
        """(status, headers, JSON body or None); connection errors propagate."""
        all_headers = {"Content-Type": "application/scim+json"}
        if self.token:
            all_headers["Authorization"] = f"Bearer {self.token}"
        all_headers.update(headers or {})
        data = json.dumps(body).encode() if body is not None else None
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request(method, path, body=data, headers=all_headers)
            response = conn.getresponse()
            raw = response.read()
            return response.status, dict(response.getheaders()), _json(raw)
        finally:
            conn.close()


def _json(raw: bytes):
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode(errors="replace")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn serving wsgi:app on a free port, with its output in a file."""

    def __init__(self, workdir: Path, database_url: str, workers=2, threads=4, **env):
        self.workdir = Path(workdir)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "hardening-secret",
                    "BIND": f"127.0.0.1:{self.port}", "WEB_WORKERS": str(workers),
                    "WEB_THREADS": str(threads), "PYTHONUNBUFFERED": "1",
                    **{k: str(v) for k, v in env.items()}}
        self.env.pop("TEST_DATABASE_URL", None)
        self.process: subprocess.Popen | None = None
        self.log_path = self.workdir / f"gunicorn-{self.port}.log"

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def start(self, timeout: float = 30):
        self.launch()
        self.wait_ready(timeout)
        return self

    def launch(self) -> None:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                # No control socket: it defaults to one path per user, shared by all servers.
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--no-control-socket",
                 "wsgi:app"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited early:\n{self.log()}")
            try:
                if Http(self.base).call("GET", "/healthz", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not get ready:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def worker_pids(self) -> list[int]:
        return children(self.process.pid)

    def kill_worker(self) -> int:
        pid = self.worker_pids()[0]
        os.kill(pid, signal.SIGKILL)
        return pid

    def kill(self) -> None:
        """SIGKILL the master and every worker: a power cut for this server."""
        workers = self.worker_pids()
        self.process.kill()
        for pid in workers:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(10)
        _wait_gone(workers)

    def stop(self, timeout: float = 30) -> int | None:
        """Graceful stop (SIGTERM); returns the exit code."""
        if self.process is None or self.process.poll() is not None:
            return self.process and self.process.returncode
        workers = self.worker_pids()
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        _wait_gone(workers)
        return self.process.returncode


def children(pid: int) -> list[int]:
    """Child process ids, from /proc (no psutil here)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(entry.name))
    return sorted(out)


def _wait_gone(pids, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    for pid in pids:
        while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
            time.sleep(0.05)


def table_rows() -> dict:
    """Every row of every table, as sorted tuples of strings (to prove nothing changed)."""
    db.session.remove()
    out = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(select(table)).all()
        out[table.name] = sorted(tuple(str(v) for v in row) for row in rows)
    db.session.remove()
    return out


def user_problems() -> list[str]:
    """Broken invariants between users, their value rows and their change records."""
    db.session.remove()
    problems = []
    users = list(db.session.execute(select(User)).scalars())
    rtype = user_store_type()
    for user in users:
        problems += _user_row_problems(user, rtype)
    problems += _change_record_problems({u.id for u in users})
    db.session.remove()
    return problems


def user_store_type():
    from services import custom_fields

    return custom_fields.user_type()


def _user_row_problems(user: User, rtype) -> list[str]:
    problems = []
    data = user.data or {}
    for column, path in user_store.CORE_COLUMNS.items():
        expected = user_store._get(data, path)
        if getattr(user, column) != expected:
            problems.append(f"user {user.id}: column {column} is {getattr(user, column)!r}, "
                            f"data says {expected!r}")
    actual = sorted((v.attr, json.dumps(v.entry, sort_keys=True)) for v in db.session.execute(
        select(UserValue).where(UserValue.user_id == user.id)).scalars())
    expected = []
    for urn, name in user_store.multi_valued(rtype):
        entries = (data.get(urn) or {}).get(name) if urn else data.get(name)
        for entry in entries or []:
            entry = entry if isinstance(entry, dict) else {"value": entry}
            expected.append((user_store.row_key(urn, name), json.dumps(entry, sort_keys=True)))
    if actual != sorted(expected):
        problems.append(f"user {user.id}: value rows {actual} do not match data {sorted(expected)}")
    manager = ((data.get(ENTERPRISE) or {}).get("manager") or {}).get("value")
    # A pending manager (an employeeNumber no single user has yet) is manager_ref instead.
    if (user.manager_id or user.manager_ref) != manager or (user.manager_id and user.manager_ref):
        problems.append(f"user {user.id}: manager_id {user.manager_id} / manager_ref "
                        f"{user.manager_ref} != data {manager}")
    return problems


def _change_record_problems(user_ids: set) -> list[str]:
    problems = []
    records = db.session.execute(
        select(ChangeRecord.resource_id, ChangeRecord.action, func.count())
        .where(ChangeRecord.resource_type == "User")
        .group_by(ChangeRecord.resource_id, ChangeRecord.action)).all()
    per_user: dict = {}
    for resource_id, action, count in records:
        per_user.setdefault(resource_id, {})[action] = count
    for resource_id, actions in per_user.items():
        if resource_id not in user_ids and "user.delete" not in actions:
            problems.append(f"change records name user {resource_id}, which is gone unrecorded")
    versions = dict(db.session.execute(select(User.id, User.version)).all())
    for user_id, version in versions.items():
        actions = per_user.get(user_id, {})
        if not {"user.create", "user.link"} & set(actions):
            problems.append(f"user {user_id} has no create record")
        # Each committed write bumps the version and adds one change record, together.
        if version != sum(actions.values()):
            problems.append(f"user {user_id}: version {version}, {sum(actions.values())} records")
    return problems
