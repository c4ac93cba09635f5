"""Push delivery against real receivers: failing, slow, gone and back; order, retries, parking."""

import time
from datetime import timedelta

from sqlalchemy import select

from models import EventDelivery
from models import EventLease
from models import db
from models import utcnow
from services.actor import CLI
from services.events import delivery
from services.events import sequencer
from services.events import subscriptions
from tests.events.conftest import assert_exactly_once_in_order
from tests.events.conftest import drain
from tests.events.conftest import events_in_order
from tests.events.conftest import pending

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def _rename(scim, uid, title):
    body = {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title",
                                                   "value": title}]}
    assert scim.patch(f"Users/{uid}", body).status_code == 200


def _changes(scim, make_user, count=3):
    """Interleaved changes of several users: create, two patches each."""
    users = [make_user(f"ünal{i}@example.com") for i in range(count)]
    for round_ in range(2):
        for user in users:
            _rename(scim, user["id"], f"Titel {round_} ß")
    return users


def _deliveries() -> list[EventDelivery]:
    db.session.rollback()
    return list(db.session.execute(select(EventDelivery).order_by(EventDelivery.position))
                .scalars())


def test_a_healthy_receiver_gets_every_event_once_in_order(receivers, subscribe, settings,
                                                           scim, make_user):
    receiver = receivers()
    subscribe(receiver.url)
    _changes(scim, make_user)
    drain(settings)
    assert_exactly_once_in_order(receiver.webhook_ids(), events_in_order())
    assert len(receiver.webhook_ids()) == 9
    assert all(d.status == "delivered" and d.attempts == 1 and d.latency_ms is not None
               for d in _deliveries())


def test_a_failing_receiver_is_retried_until_it_accepts(receivers, subscribe, settings, scim,
                                                         make_user):
    receiver = receivers(failures=[(500, {}), (503, {}), (500, {})])
    subscribe(receiver.url)
    _changes(scim, make_user)
    drain(settings)
    assert_exactly_once_in_order(receiver.webhook_ids(), events_in_order())
    assert [r["status"] for r in receiver.requests[:3]] == [500, 503, 500]
    first = _deliveries()[0]
    assert first.attempts == 4 and first.status == "delivered" and first.last_status == 204


def test_retry_after_is_honoured(receivers, subscribe, settings, make_user):
    receiver = receivers(failures=[(503, {"Retry-After": "120"})])
    subscribe(receiver.url)
    make_user("renée@example.com")
    settings.retry_max = 3600
    assert delivery.acquire(settings)
    delivery.run_pass(settings)
    [waiting] = _deliveries()
    assert waiting.status == "pending" and waiting.last_status == 503
    assert waiting.next_at - waiting.last_attempt_at >= timedelta(seconds=120)
    delivery.run_pass(settings)  # not yet due: nothing is sent
    assert len(receiver.requests) == 1
    delivery.run_pass(settings, now=utcnow() + timedelta(seconds=121))
    assert receiver.webhook_ids() == [waiting.event_id]


def test_a_receiver_that_goes_away_and_comes_back_misses_nothing(receivers, subscribe,
                                                                  settings, scim, make_user):
    receiver = receivers()
    subscribe(receiver.url)
    make_user("first@example.com")
    drain(settings)
    receiver.stop()
    _changes(scim, make_user, count=2)
    assert delivery.acquire(settings)
    for _ in range(3):
        delivery.run_pass(settings, now=utcnow() + timedelta(seconds=5))
    assert pending(), "nothing can be delivered while the receiver is away"
    assert any(d.last_error and "Connection" in d.last_error for d in _deliveries())
    receiver.start()
    drain(settings)
    assert_exactly_once_in_order(receiver.webhook_ids(), events_in_order())


def test_a_slow_receiver_times_out_and_gets_the_event_again(receivers, subscribe, settings,
                                                            make_user):
    receiver = receivers(delay=0.6)
    subscribe(receiver.url)
    make_user("langsam@example.com")
    settings.timeout = 0.2
    assert delivery.acquire(settings)
    delivery.run_pass(settings)
    [first] = _deliveries()
    assert first.status == "pending" and "timed out" in first.last_error
    receiver.delay = 0
    drain(settings)
    # The slow answer still lands: the receiver sees the event twice, the same id both times.
    deadline = time.monotonic() + 10
    while len(receiver.requests) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    ids = receiver.webhook_ids()
    assert len(ids) == 2 and len(set(ids)) == 1
    assert_exactly_once_in_order(ids, events_in_order())


def test_a_failure_holds_back_only_the_same_resource(receivers, subscribe, settings, scim,
                                                     make_user):
    receiver = receivers()
    subscribe(receiver.url)
    users = [make_user("a@example.com"), make_user("b@example.com")]
    drain(settings)
    receiver.failures = [(400, {})]  # a 4xx: the receiver rejects this one event
    _rename(scim, users[0]["id"], "eins")
    _rename(scim, users[0]["id"], "zwei")
    _rename(scim, users[1]["id"], "drei")
    assert delivery.acquire(settings)
    delivery.run_pass(settings)
    sent = [e["data"]["id"] for e in receiver.webhook_events()[2:]]
    assert sent == [users[1]["id"]], "b goes on; a's second change waits for its first"
    drain(settings)
    assert_exactly_once_in_order(receiver.webhook_ids(), events_in_order())


def test_an_event_too_old_to_deliver_is_parked_and_counted(receivers, subscribe, settings,
                                                           make_user):
    receiver = receivers(failures=[(500, {})] * 100)
    sub, _ = subscribe(receiver.url)
    make_user("alt@example.com")
    assert delivery.acquire(settings)
    delivery.run_pass(settings)
    delivery.run_pass(settings, now=utcnow() + timedelta(seconds=settings.max_age + 1))
    [parked] = _deliveries()
    assert parked.status == "parked"
    lag = subscriptions.lag(sub.id)
    assert lag["parked"] == 1 and lag["waiting"] == 0


def test_filters_pause_and_resume(receivers, subscribe, settings, scim, make_user):
    groups_only = receivers()
    everything = receivers()
    filtered, _ = subscribe(groups_only.url, events="group.*")
    paused, _ = subscribe(everything.url)
    subscriptions.set_paused(paused.id, True, CLI)
    make_user("gül@example.com")
    scim.post("Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                         "displayName": "Équipe"})
    assert delivery.acquire(settings)
    delivery.run_pass(settings)
    assert [e["type"] for e in groups_only.webhook_events()] == ["group.create"]
    assert everything.requests == []
    assert subscriptions.lag(paused.id)["waiting"] == 2
    subscriptions.set_paused(paused.id, False, CLI)
    drain(settings)
    assert [e["type"] for e in everything.webhook_events()] == ["user.create", "group.create"]


def test_replay_and_redeliver_send_again(receivers, subscribe, settings, make_user):
    receiver = receivers()
    sub, _ = subscribe(receiver.url)
    make_user("eins@example.com")
    make_user("zwei@example.com")
    drain(settings)
    assert subscriptions.replay(sub.id, CLI, position=2) == 1
    drain(settings)
    first = _deliveries()[0]
    subscriptions.redeliver(sub.id, first.id, CLI)
    drain(settings)
    events = events_in_order()
    assert receiver.webhook_ids() == [events[0].event_id, events[1].event_id,
                                      events[1].event_id, events[0].event_id]


def test_a_new_subscription_starts_at_the_head(receivers, subscribe, settings, make_user):
    make_user("vorher@example.com")
    sequencer.sequence(db.engine)
    receiver = receivers()
    subscribe(receiver.url)
    make_user("nachher@example.com")
    drain(settings)
    assert [e["data"]["name"] for e in receiver.webhook_events()] == ["nachher@example.com"]


def test_one_lease_holder_at_a_time_and_takeover_after_expiry(app, settings):
    other = delivery.settings_from(app.config)
    assert delivery.acquire(settings)
    assert not delivery.acquire(other)
    assert delivery.acquire(other, now=utcnow() + timedelta(seconds=settings.lease_seconds + 1))
    assert not delivery.acquire(settings)
    delivery.release(other)
    assert delivery.acquire(settings)
    assert db.session.get(EventLease, "delivery").holder == settings.holder


def test_a_held_back_resource_does_not_hide_later_ones_beyond_a_page(receivers, subscribe,
                                                                       settings, scim, make_user):
    receiver = receivers()
    subscribe(receiver.url)
    first = make_user("vorne@example.com")
    drain(settings)
    receiver.failures = [(422, {})]  # the receiver rejects a's first change
    for title in ("eins", "zwei", "drei"):
        _rename(scim, first["id"], title)
    later = make_user("hinten@example.com")
    settings.batch = 2
    assert delivery.acquire(settings)
    delivery.run_pass(settings)
    names = [e["data"]["name"] for e in receiver.webhook_events()]
    assert names == ["vorne@example.com", "hinten@example.com"], later
    drain(settings)
    assert_exactly_once_in_order(receiver.webhook_ids(), events_in_order())
