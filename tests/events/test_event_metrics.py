"""Event lag and failures in /metrics."""

from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from models import utcnow
from services.events import delivery
from services.ops import metrics


@pytest.fixture
def app_config():
    return {"METRICS_TOKEN": "metrics-tøken", "EVENTS_RETRY_BASE": 0.02, "EVENTS_RETRY_MAX": 0.1}


@pytest.fixture(autouse=True)
def fresh_state():
    metrics.forget()
    yield
    metrics.forget()


def _samples(client) -> dict:
    auth = {"Authorization": "Bearer metrics-tøken".encode().decode("latin-1")}
    response = client.get("/metrics", headers=auth)
    assert response.status_code == 200
    metrics.forget()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.get_data(as_text=True))
            for s in family.samples}


def test_waiting_and_undeliverable_events_per_subscription(client, receivers, subscribe,
                                                          settings, make_user):
    receiver = receivers(failures=[(500, {})] * 100)
    sub, _ = subscribe(receiver.url)
    make_user("mètrique@example.com")
    make_user("zweite@example.com")
    label = (("subscription", sub.id),)
    assert _samples(client)[("rollcall_events_unnumbered", ())] == 2
    assert delivery.acquire(settings)
    delivery.run_pass(settings)
    found = _samples(client)
    assert found[("rollcall_events_waiting", label)] == 2
    assert found[("rollcall_events_undeliverable", label)] == 0
    assert found[("rollcall_events_oldest_waiting_seconds", label)] >= 0
    delivery.run_pass(settings, now=utcnow() + timedelta(seconds=settings.max_age + 1))
    found = _samples(client)
    assert found[("rollcall_events_undeliverable", label)] == 2
    assert found[("rollcall_events_waiting", label)] == 0
