"""Alerts on outbound events: a receiver that lost events, and one that falls behind."""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy import update

from models import Event
from models import EventDelivery
from models import db
from models import utcnow
from services.actor import CLI
from services.events import delivery
from services.events import sequencer
from services.events import subscriptions
from services.ops import alerts
from services.ops import config as ops_config
from tests.events.conftest import drain

CFG = ops_config.OpsConfig(events_lag_minutes=60)


def check(now=None):
    return alerts.run(now or utcnow(), CFG, db.engine, verify=False)


def deliveries():
    db.session.rollback()
    return list(db.session.execute(select(EventDelivery).order_by(EventDelivery.id)).scalars())


def test_a_parked_event_alerts_until_it_is_redelivered(receivers, subscribe, settings, make_user):
    receiver = receivers(failures=[(500, {})])
    sub, _ = subscribe(receiver.url)
    make_user("søren@example.com")
    assert delivery.acquire(settings)
    delivery.run_pass(settings)
    delivery.run_pass(settings, now=utcnow() + timedelta(seconds=settings.max_age + 1))
    [parked] = deliveries()
    assert parked.status == "parked"

    result = check()
    assert result.fired == [f"events-undeliverable:{sub.id}"]
    assert check().fired == []  # fires once

    subscriptions.redeliver(sub.id, parked.id, CLI)
    drain(settings)
    assert [d.status for d in deliveries()] == ["delivered"]
    assert check().cleared == [f"events-undeliverable:{sub.id}"]


def age_by(model, column, minutes: int) -> None:
    db.session.execute(update(model).values({column: utcnow() - timedelta(minutes=minutes)}))
    db.session.commit()


def test_events_no_worker_numbers_alert(receivers, subscribe, make_user):
    subscribe(receivers().url)
    make_user("ilse@example.com")
    assert check().fired == []  # just written
    age_by(Event, "at", 61)
    assert check().fired == ["events-unnumbered"]
    sequencer.sequence(db.engine)  # a worker runs again
    assert check().cleared == ["events-unnumbered"]


def test_events_waiting_past_the_threshold_alert_unless_paused(receivers, subscribe, make_user):
    receiver = receivers()
    sub, _ = subscribe(receiver.url)
    make_user("ørjan@example.com")
    sequencer.sequence(db.engine)  # numbered and fanned out, but nobody delivers
    assert check().fired == []  # waiting, but not for long
    age_by(EventDelivery, "created_at", 61)
    assert check().fired == [f"events-lagging:{sub.id}"]

    subscriptions.set_paused(sub.id, True, CLI)  # an admin's pause is not a receiver failing
    assert check().cleared == [f"events-lagging:{sub.id}"]
