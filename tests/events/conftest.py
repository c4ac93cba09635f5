"""Event fixtures: fast retries, receivers torn down, and a deterministic delivery driver."""

import time

import pytest
from sqlalchemy import select

from models import Event
from models import EventDelivery
from models import db
from services.actor import CLI
from services.events import delivery
from services.events import subscriptions
from tests.events.receivers import Receiver


@pytest.fixture
def app_config():
    # Retries in tens of milliseconds, so a failing receiver is retried within the test.
    return {"EVENTS_RETRY_BASE": 0.02, "EVENTS_RETRY_MAX": 0.1,
            "EVENTS_ISSUER": "https://rollcall.test"}


@pytest.fixture
def receivers():
    """A receiver factory; every receiver made is stopped after the test."""
    made = []

    def make(**kwargs) -> Receiver:
        receiver = Receiver(**kwargs).start()
        made.append(receiver)
        return receiver

    yield make
    for receiver in made:
        receiver.stop()


@pytest.fixture
def settings(app):
    return delivery.settings_from(app.config)


@pytest.fixture
def subscribe(app):
    def make(url=None, fmt="standard-webhooks", method="push", events=None):
        return subscriptions.subscribe(CLI, app.config["SECRET_KEY"], fmt, url, method, events)

    return make


def drain(settings, timeout: float = 20.0) -> None:
    """Run delivery passes until nothing is pending (or fail after `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert delivery.acquire(settings)
        delivery.run_pass(settings)
        if not pending():
            return
        time.sleep(0.02)
    raise AssertionError(f"still pending after {timeout}s: {pending()}")


def pending() -> list:
    db.session.rollback()
    return list(db.session.execute(select(EventDelivery.event_id, EventDelivery.last_error)
                                   .where(EventDelivery.status == "pending")).all())


def events_in_order() -> list[Event]:
    db.session.rollback()
    return list(db.session.execute(select(Event).order_by(Event.position)).scalars())


def assert_exactly_once_in_order(ids: list[str], expected: list[Event]) -> None:
    """Every event arrived (at least once), none unknown, per resource in position order."""
    first_seen = list(dict.fromkeys(ids))
    assert set(first_seen) == {e.event_id for e in expected}
    by_id = {e.event_id: e for e in expected}
    last: dict = {}
    for event_id in first_seen:
        event = by_id[event_id]
        key = (event.resource_type, event.resource_id)
        assert last.get(key, 0) < event.position, f"{event_id} reordered for {key}"
        last[key] = event.position
