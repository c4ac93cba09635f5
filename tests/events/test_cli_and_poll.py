"""The `events` commands, and RFC 8936 poll delivery over HTTP."""

from sqlalchemy import select

from models import ChangeRecord
from models import EventSubscription
from models import db
from services.events import signing
from tests.events.conftest import drain
from tests.events.conftest import events_in_order
from tests.events.conftest import pending
from tests.events.test_receiver_example import example


def _subscribe(runner, *args):
    result = runner.invoke(args=["events", "subscribe", *args])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()


def test_subscribe_prints_the_id_then_the_secret_alone_on_the_last_line(runner, receivers,
                                                                       settings, make_user):
    receiver = receivers()
    lines = _subscribe(runner, "--url", receiver.url, "--format", "standard-webhooks",
                       "--events", "user.*")
    sub_id, secret = lines[0], lines[-1]
    assert secret.startswith("whsec_")
    sub = db.session.get(EventSubscription, sub_id)
    assert sub.event_filter == "user.*"
    assert secret not in (sub.secret_encrypted or "")
    assert signing.decrypt("test-secret", sub.secret_encrypted) == secret
    make_user("cli-ü@example.com")
    drain(settings)
    request = receiver.accepted()[0]
    assert example()["verify_webhook"](secret, request["headers"], request["body"])
    listing = runner.invoke(args=["events", "list"]).output
    assert sub_id in listing and secret not in listing and "active" in listing


def test_set_subscription_prints_only_the_id(runner):
    lines = _subscribe(runner, "--url", "https://siem.example.com/set", "--format", "set")
    assert len(lines) == 1 and db.session.get(EventSubscription, lines[0]).format == "set"


def test_bad_input_is_refused_without_a_traceback(runner):
    for args, message in (
            (["--url", "ftp://x", "--format", "set"], "http or https"),
            (["--url", "https://x.example", "--format", "set", "--events", "user.explode"],
             "unknown event"),
            (["--format", "set"], "--url is required")):
        result = runner.invoke(args=["events", "subscribe", *args])
        assert result.exit_code != 0 and message in result.output, result.output
    assert runner.invoke(args=["events", "pause", "nope"]).exit_code != 0


def test_pause_resume_replay_delete_are_change_records(runner, receivers, settings, make_user):
    receiver = receivers()
    sub_id = _subscribe(runner, "--url", receiver.url, "--format", "standard-webhooks")[0]
    make_user("eins-é@example.com")
    drain(settings)
    for args in (["pause", sub_id], ["resume", sub_id], ["replay", sub_id, "--from", "1"]):
        result = runner.invoke(args=["events", *args])
        assert result.exit_code == 0, result.output
    drain(settings)
    assert len(receiver.webhook_ids()) == 2 and len(set(receiver.webhook_ids())) == 1
    assert runner.invoke(args=["events", "delete", sub_id]).exit_code == 0
    assert db.session.get(EventSubscription, sub_id) is None
    actions = list(db.session.execute(select(ChangeRecord.action).where(
        ChangeRecord.resource_type == "EventSubscription").order_by(ChangeRecord.id)).scalars())
    assert actions == ["events.subscribe", "events.pause", "events.resume", "events.replay",
                       "events.unsubscribe"]
    assert [e.action for e in events_in_order()] == ["user.create"], \
        "subscription changes are not events"


def _poll(client, sub_id, token, body):
    return client.post(f"/events/poll/{sub_id}", json=body,
                       headers={"Authorization": f"Bearer {token}"})


def test_poll_returns_sets_until_acknowledged(runner, client, make_user, scim):
    lines = _subscribe(runner, "--poll", "--format", "set")
    sub_id, token = lines[0], lines[-1]
    users = [make_user(f"poll{i}-ß@example.com") for i in range(3)]
    first = _poll(client, sub_id, token, {"maxEvents": 2, "returnImmediately": True})
    assert first.status_code == 200
    body = first.get_json()
    assert body["moreAvailable"] is True and len(body["sets"]) == 2
    jwks = client.get("/.well-known/jwks.json").get_json()
    for jti, jws in body["sets"].items():
        claims = example()["verify_set"](jws, jwks, f"urn:rollcall:subscription:{sub_id}")
        assert claims["jti"] == jti
    again = _poll(client, sub_id, token, {"maxEvents": 2, "returnImmediately": True}).get_json()
    assert again["sets"].keys() == body["sets"].keys(), "unacknowledged SETs come back"
    acked = list(body["sets"])
    rest = _poll(client, sub_id, token, {"ack": acked, "maxEvents": 10,
                                         "returnImmediately": True}).get_json()
    assert rest["moreAvailable"] is False and len(rest["sets"]) == 1
    [last] = rest["sets"]
    done = _poll(client, sub_id, token, {"setErrs": {last: {"err": "invalid_key",
                                                             "description": "Schlüssel"}},
                                         "returnImmediately": True}).get_json()
    assert done == {"sets": {}, "moreAvailable": False}
    assert [e.event_id for e in events_in_order()] == [*acked, last]
    assert users


def test_poll_needs_its_own_token_and_a_valid_request(runner, client, token):
    sub_id = _subscribe(runner, "--poll", "--format", "set")[0]
    other_id, other_token = (lambda lines: (lines[0], lines[-1]))(
        _subscribe(runner, "--poll", "--format", "set"))
    assert _poll(client, sub_id, other_token, {}).status_code == 401
    assert _poll(client, sub_id, token, {}).status_code == 401  # a SCIM token is not one
    assert client.post(f"/events/poll/{sub_id}", json={}).status_code == 401
    bad = _poll(client, other_id, other_token, {"maxEvents": -1})
    assert bad.status_code == 400 and bad.get_json()["err"] == "invalid_request"
    assert _poll(client, other_id, other_token, {"ack": "x"}).status_code == 400


def test_prune_keeps_pending_events_and_the_newest(runner, receivers, settings, make_user):
    from datetime import timedelta

    from sqlalchemy import update

    from models import Event
    from models import EventDelivery
    from models import utcnow

    receiver = receivers()
    _subscribe(runner, "--url", receiver.url, "--format", "standard-webhooks")
    for i in range(3):
        make_user(f"alt{i}-ö@example.com")
    drain(settings)
    make_user("wartend@example.com")  # numbered and queued, not yet delivered
    from services.events import sequencer

    sequencer.sequence(db.engine)
    old = utcnow() - timedelta(days=40)
    with db.engine.begin() as conn:
        conn.execute(update(Event.__table__).values(at=old))
        conn.execute(update(EventDelivery.__table__).values(created_at=old))
    result = runner.invoke(args=["events", "prune", "--days", "30"])
    assert result.exit_code == 0, result.output
    assert "Deleted 3 events and 3 delivery records." in result.output
    left = events_in_order()
    assert [e.resource_name for e in left] == ["wartend@example.com"]
    make_user("neu@example.com")
    sequencer.sequence(db.engine)
    assert [e.position for e in events_in_order()] == [4, 5], "positions go on"


def test_a_long_poll_waits_then_answers_empty(app, runner, client):
    app.config["EVENTS_POLL_WAIT"] = 0.3
    lines = _subscribe(runner, "--poll", "--format", "set")
    body = _poll(client, lines[0], lines[-1], {"returnImmediately": False}).get_json()
    assert body == {"sets": {}, "moreAvailable": False}


def test_rotate_key_keeps_the_old_public_key(runner, client):
    first = client.get("/.well-known/jwks.json").get_json()["keys"]
    result = runner.invoke(args=["events", "rotate-key"])
    assert result.exit_code == 0, result.output
    keys = client.get("/.well-known/jwks.json").get_json()["keys"]
    assert len(first) == 1 and len(keys) == 2 and keys[0] == first[0]
    assert keys[1]["kid"] in result.output
    assert all("d" not in key for key in keys), "never a private part"


def test_a_secret_key_change_shows_in_the_delivery_log(app, runner, receivers, settings,
                                                       make_user):
    from services.events import delivery

    receiver = receivers()
    _subscribe(runner, "--url", receiver.url, "--format", "standard-webhooks")
    make_user("schlüssel@example.com")
    settings.formats = type(settings.formats)(secret_key="another", issuer="x")
    assert delivery.acquire(settings)
    delivery.run_pass(settings)
    [row] = pending()
    assert "SECRET_KEY" in row.last_error and receiver.requests == []
