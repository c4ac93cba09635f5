"""The Events pages: admins subscribe and control, auditors read, secrets are shown once."""

import re

import pytest
from sqlalchemy import select

from models import ChangeRecord
from models import EventDelivery
from models import EventSubscription
from models import db
from tests.admin.helpers import FreshClient
from tests.admin.helpers import cheap_hashes as use_cheap_hashes
from tests.admin.helpers import make_account
from tests.admin.helpers import sign_in
from tests.events.conftest import drain


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch):
    use_cheap_hashes(monkeypatch)


def _signed_in(app, name, role):
    app.test_client_class = FreshClient
    client = app.test_client()
    make_account(name, role)
    assert sign_in(client, name).status_code == 302
    return client


@pytest.fixture
def admin_client(app):
    return _signed_in(app, "ådmin", "admin")


@pytest.fixture
def auditor_client(app):
    return _signed_in(app, "olga", "auditor")


def _subscribe(client, **form):
    data = {"method": "push", "format": "standard-webhooks", "url": "", "events": "",
            "name": "", **form}
    return client.post("/admin/events", data=data)


def test_an_admin_subscribes_and_sees_the_secret_once(admin_client, receivers):
    receiver = receivers()
    created = _subscribe(admin_client, url=receiver.url, name="HR Süd", events="user.*")
    assert created.status_code == 200
    page = created.get_data(as_text=True)
    secret = re.search(r"whsec_[A-Za-z0-9+/=]+", page).group(0)
    sub = db.session.execute(select(EventSubscription)).scalar_one()
    assert sub.name == "HR Süd" and sub.event_filter == "user.*"
    listing = admin_client.get("/admin/events").get_data(as_text=True)
    detail = admin_client.get(f"/admin/events/{sub.id}").get_data(as_text=True)
    assert "HR Süd" in listing and secret not in listing and secret not in detail


def test_bad_subscriptions_are_refused_with_the_reason(admin_client):
    response = _subscribe(admin_client, url="not a url")
    assert response.status_code == 400 and "http or https" in response.get_data(as_text=True)
    response = _subscribe(admin_client, method="poll", format="standard-webhooks")
    assert response.status_code == 400 and "use format set" in response.get_data(as_text=True)
    assert db.session.execute(select(EventSubscription)).first() is None


def test_delivery_log_pause_redeliver_replay_delete(admin_client, receivers, settings,
                                                    make_user):
    receiver = receivers()
    _subscribe(admin_client, url=receiver.url)
    sub_id = db.session.execute(select(EventSubscription.id)).scalar_one()
    make_user("log-ğ@example.com")
    drain(settings)
    page = admin_client.get(f"/admin/events/{sub_id}").get_data(as_text=True)
    assert "user.create" in page and "log-ğ@example.com" in page and "delivered" in page
    assert admin_client.post(f"/admin/events/{sub_id}/pause").status_code == 302
    assert db.session.get(EventSubscription, sub_id).paused
    assert admin_client.post(f"/admin/events/{sub_id}/resume").status_code == 302
    delivery = db.session.execute(select(EventDelivery)).scalar_one()
    assert admin_client.post(
        f"/admin/events/{sub_id}/deliveries/{delivery.id}/redeliver").status_code == 302
    drain(settings)
    assert admin_client.post(f"/admin/events/{sub_id}/replay",
                             data={"position": "1"}).status_code == 302
    drain(settings)
    assert len(receiver.webhook_ids()) == 3 and len(set(receiver.webhook_ids())) == 1
    assert admin_client.post(f"/admin/events/{sub_id}/replay", data={}).status_code == 400
    assert admin_client.post(f"/admin/events/{sub_id}/delete").status_code == 302
    assert db.session.get(EventSubscription, sub_id) is None
    actions = set(db.session.execute(select(ChangeRecord.action).where(
        ChangeRecord.actor == "ådmin")).scalars())
    assert {"events.subscribe", "events.pause", "events.resume", "events.redeliver",
            "events.replay", "events.unsubscribe"} <= actions


def test_auditors_read_but_cannot_change(app, auditor_client, receivers):
    from services.actor import CLI
    from services.events import subscriptions

    sub, _ = subscriptions.subscribe(CLI, app.config["SECRET_KEY"], "set", receivers().url)
    sub_id = sub.id
    assert auditor_client.get("/admin/events").status_code == 200
    page = auditor_client.get(f"/admin/events/{sub_id}").get_data(as_text=True)
    assert "Delivery log" in page and "Pause" not in page
    assert _subscribe(auditor_client, url="https://x.example/").status_code == 403
    assert auditor_client.post(f"/admin/events/{sub_id}/pause").status_code == 403
    assert not db.session.get(EventSubscription, sub_id).paused


def test_an_unknown_subscription_is_404(admin_client):
    assert admin_client.get("/admin/events/nope").status_code == 404
    assert admin_client.post("/admin/events/nope/pause").status_code == 404
