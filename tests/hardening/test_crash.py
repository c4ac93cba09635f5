"""Crash consistency: SIGKILL gunicorn workers, then the whole server, in the middle of writes.

Afterwards every user agrees with its value rows and its change records, the audit chain
verifies, and Entra's retried creates behave as documented (docs/operations.md): a 409
for a user that was committed before the crash when link-on-create is off, a 200 that
links to it when it is on.
"""

import http.client
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text

from models import User
from models import db
from services import rules
from services.actor import CLI
from tests.hardening.support import Http
from tests.hardening.support import Server
from tests.hardening.support import patch_body
from tests.hardening.support import user_body
from tests.hardening.support import user_problems

CLIENTS = 8
PER_CLIENT = 25


class Load:
    """Entra-like clients: create, patch, now and then delete, until told to stop."""

    def __init__(self, server: Server, token: str):
        self.http = Http(server.base, token)
        self.stop = threading.Event()
        self.names: list[str] = []
        self.outcomes: dict[str, int | str] = {}

    def client(self, n: int) -> None:
        for i in range(PER_CLIENT):
            if self.stop.is_set():
                return
            name = f"crash{n}-{i}@example.com"
            self.names.append(name)
            self.outcomes[name] = self.write(name, i)

    def write(self, name: str, i: int):
        try:
            status, _, body = self.http.call("POST", "/scim/v2/Users", user_body(name), timeout=10)
            if status != 201:
                return status
            path = f"/scim/v2/Users/{body['id']}"
            self.http.call("PATCH", path, patch_body(
                {"op": "add", "path": "emails", "value": [{"value": f"2-{name}", "type": "home"}]},
                {"op": "replace", "path": "displayName", "value": f"User {i}"}), timeout=10)
            if i % 5 == 4:
                self.http.call("DELETE", path, timeout=10)
            return status
        except (OSError, http.client.HTTPException) as error:  # the server died under it
            return type(error).__name__

    def reach(self, attempts: int, timeout: float = 60) -> None:
        """Wait until the clients have started this many creates (kills land mid-load)."""
        deadline = time.monotonic() + timeout
        while len(self.names) < attempts and time.monotonic() < deadline:
            time.sleep(0.01)

    def run(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=self.client, args=(n,)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        return threads


def audit_verifies(runner) -> None:
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output


def sqlite_is_intact(app) -> None:
    if db.engine.dialect.name == "sqlite":
        assert db.session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        db.session.remove()


def retry_creates(server: Server, token: str, names: list[str]) -> dict[str, int]:
    http = Http(server.base, token)

    def create(name):
        return name, http.call("POST", "/scim/v2/Users", user_body(name))[0]

    with ThreadPoolExecutor(CLIENTS) as pool:
        return dict(pool.map(create, names))


def existing_names() -> set[str]:
    db.session.remove()
    names = set(db.session.execute(select(User.user_name)).scalars())
    db.session.remove()
    return names


@pytest.mark.slow
def test_sigkill_mid_writes_keeps_the_database_consistent(app, token, runner, tmp_path):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    server = Server(tmp_path, url, workers=2, threads=4).start()
    load = Load(server, token)
    try:
        threads = load.run()
        load.reach(CLIENTS * PER_CLIENT // 3)
        server.kill_worker()  # gunicorn replaces it; its in-flight requests are lost
        load.reach(CLIENTS * PER_CLIENT * 2 // 3)
        server.kill()  # then a power cut for the whole server
        load.stop.set()
        for thread in threads:
            thread.join(30)
    finally:
        server.stop()
    lost = [n for n, outcome in load.outcomes.items() if not isinstance(outcome, int)]
    assert lost, "the kills should have cut some requests off"
    assert 500 not in load.outcomes.values(), server.log()

    assert user_problems() == []
    sqlite_is_intact(app)
    audit_verifies(runner)

    # Entra retries every create whose answer it did not get (here: every create).
    with Server(tmp_path, url, workers=2, threads=4) as restarted:
        before = existing_names()
        statuses = retry_creates(restarted, token, load.names)
        assert statuses == {n: 409 if n in before else 201 for n in load.names}, restarted.log()

        rules.save({"link_on_create": True}, CLI)
        time.sleep(1.2)  # each worker caches settings for a second
        statuses = retry_creates(restarted, token, load.names)
        # Linked to the existing user (200), not duplicated.
        assert set(statuses.values()) == {200}, restarted.log()

    count = select(func.count()).select_from(User)
    assert db.session.execute(count).scalar() == len(set(load.names))
    assert user_problems() == []
    audit_verifies(runner)
