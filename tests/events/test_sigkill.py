"""A live gunicorn delivers; SIGKILL the delivering worker mid-send: nothing lost or reordered."""

import os
import signal
import time

from sqlalchemy import select

from models import EventLease
from models import db
from tests.events.conftest import assert_exactly_once_in_order
from tests.events.conftest import events_in_order
from tests.hardening.support import Server

USERS = 6


def _holder() -> str | None:
    db.session.rollback()
    return db.session.execute(select(EventLease.holder)).scalar()


def _wait(condition, timeout: float, what: str, server: Server):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what} within {timeout}s\n{server.log()}")


def test_sigkill_of_the_delivering_worker_loses_nothing(app, receivers, subscribe, make_user,
                                                        tmp_path):
    receiver = receivers(delay=0.3)  # slow, so the kill lands while a send is in flight
    subscribe(receiver.url)
    for i in range(USERS):
        make_user(f"kill{i}-ø@example.com")
    db.session.remove()
    server = Server(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"], workers=2, threads=2,
                    SECRET_KEY=app.config["SECRET_KEY"], EVENTS_LEASE_SECONDS=1.5,
                    EVENTS_RETRY_BASE=0.05, EVENTS_RETRY_MAX=0.2, EVENTS_HTTP_TIMEOUT=2,
                    OUTBOUND_ALLOW_NETWORKS="127.0.0.0/8")
    try:
        server.start()
        _wait(lambda: len(receiver.requests) >= 2, 20, "two deliveries", server)
        holder = _holder()
        pid = int(holder.split(":")[1])
        assert pid in server.worker_pids()
        os.kill(pid, signal.SIGKILL)
        expected = events_in_order()
        _wait(lambda: {e.event_id for e in expected} <= set(receiver.webhook_ids()), 30,
              "every event delivered after the kill", server)
        assert _holder() != holder, "another worker took the lease over"
    finally:
        server.stop()
    assert_exactly_once_in_order(receiver.webhook_ids(), expected)
