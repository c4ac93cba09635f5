"""The receiver example of docs/events.md, run as written against real deliveries."""

import re
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature

from services.events import signing
from tests.events.conftest import assert_exactly_once_in_order
from tests.events.conftest import drain
from tests.events.conftest import events_in_order
from tests.events.receivers import Receiver
from tests.hardening.support import free_port

DOC = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def example() -> dict:
    """The namespace of the doc's one ```python block."""
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) == 1
    namespace: dict = {}
    exec(compile(blocks[0], str(DOC), "exec"), namespace)
    return namespace


@pytest.fixture
def doc_receiver():
    """The doc's WebhookReceiver, served on a free port."""
    handler = example()["WebhookReceiver"]
    handler.seen, handler.applied = set(), []
    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield handler, f"http://127.0.0.1:{port}/rollcall"
    server.shutdown()
    server.server_close()


def test_the_documented_receiver_verifies_and_applies_each_event_once(
        doc_receiver, subscribe, settings, make_user, scim):
    handler, url = doc_receiver
    sub, secret = subscribe(url)
    handler.secret = secret
    users = [make_user(name) for name in ("åsa@example.com", "İlkay@example.com")]
    scim.delete(f"Users/{users[0]['id']}")
    drain(settings)
    events = events_in_order()
    ids = [e["data"]["eventId"] for e in handler.applied]
    assert_exactly_once_in_order(ids, events)
    assert [e["type"] for e in handler.applied] == ["user.create", "user.create", "user.delete"]


def test_the_documented_receiver_refuses_a_wrong_secret(doc_receiver, subscribe, settings,
                                                        make_user):
    handler, url = doc_receiver
    subscribe(url)
    handler.secret = signing.new_webhook_secret()  # not the subscription's
    make_user("ﬁona@example.com")
    settings.max_age = 3600
    from services.events import delivery

    assert delivery.acquire(settings)
    delivery.run_pass(settings)
    assert handler.applied == []


def test_the_documented_set_check_accepts_rollcalls_sets_and_refuses_forgeries(
        receivers, subscribe, settings, make_user, client):
    receiver: Receiver = receivers()
    subscribe(receiver.url, fmt="set")
    make_user("øystein@example.com")
    drain(settings)
    jwks = client.get("/.well-known/jwks.json").get_json()
    token = receiver.accepted()[0]["body"].decode()
    assert receiver.accepted()[0]["headers"]["content-type"] == "application/secevent+jwt"
    claims = example()["verify_set"](token, jwks, receiver.url)
    assert claims["sub_id"]["uri"].startswith("/Users/")
    assert list(claims["events"]) == ["urn:ietf:params:SCIM:event:prov:create:notice"]
    assert claims["iss"] == "https://rollcall.test"
    header, body, signature = token.split(".")
    forged = f"{header}.{body[:-4]}AAAA.{signature}"
    with pytest.raises((InvalidSignature, ValueError)):
        example()["verify_set"](forged, jwks, receiver.url)
    with pytest.raises(ValueError):
        example()["verify_set"](token, jwks, "https://someone.else/")
