"""Receivers must be public unless their network is allowed; link-local never; no redirects."""

import pytest
from sqlalchemy import select

from app import create_app
from models import EventSubscription
from models import OpsDelivery
from models import db
from services import outbound
from services.actor import CLI
from services.events import delivery
from services.events import subscriptions
from tests.admin.helpers import FreshClient
from tests.admin.helpers import cheap_hashes as use_cheap_hashes
from tests.admin.helpers import make_account
from tests.admin.helpers import sign_in
from tests.events.conftest import pending


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch):
    use_cheap_hashes(monkeypatch)


@pytest.fixture
def admin_client(app):
    app.test_client_class = FreshClient
    client = app.test_client()
    make_account("ådmin", "admin")
    assert sign_in(client, "ådmin").status_code == 302
    return client


@pytest.fixture
def subscribe_cli(app):
    def make(url):
        return subscriptions.subscribe(CLI, app.config["SECRET_KEY"], "standard-webhooks", url)

    return make


def subscribe(client, url):
    return client.post("/admin/events", data={"method": "push", "format": "standard-webhooks",
                                              "url": url, "events": "", "name": "Süd"})


@pytest.mark.parametrize("url, reason", [
    ("http://127.0.0.1:9/hook", "not a public address"),
    ("http://10.1.2.3/hook", "not a public address"),
    ("http://[::ffff:192.168.0.7]/hook", "not a public address"),
    ("http://localhost/hook", "not a public address"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("ftp://receiver.example/hook", "http or https"),
])
def test_a_receiver_inside_the_network_is_refused_by_default(app, admin_client, url, reason):
    app.config["OUTBOUND_ALLOW_NETWORKS"] = ""
    response = subscribe(admin_client, url)
    assert response.status_code == 400 and reason in response.get_data(as_text=True)
    assert db.session.execute(select(EventSubscription)).first() is None


def test_public_and_allowed_receivers_are_accepted(app, admin_client):
    app.config["OUTBOUND_ALLOW_NETWORKS"] = "10.20.0.0/16"
    for url in ("http://10.20.3.4/hook", "https://93.184.215.14/hook",
                "https://not-set-up-yet.invalid/hook"):  # resolves later, checked then
        assert subscribe(admin_client, url).status_code == 200, url
    assert len(db.session.execute(select(EventSubscription)).all()) == 3


def test_link_local_is_refused_even_inside_an_allowed_network(app):
    app.config["OUTBOUND_ALLOW_NETWORKS"] = "0.0.0.0/0, ::/0"
    with pytest.raises(outbound.Refused, match="link-local"):
        outbound.check("http://169.254.169.254/latest/meta-data/")
    with pytest.raises(outbound.Refused, match="link-local"):
        outbound.check("http://[fe80::1]/")
    outbound.check("http://10.0.0.1/")


def test_each_delivery_checks_again(app, receivers, subscribe_cli, settings, make_user):
    receiver = receivers()
    subscribe_cli(receiver.url)  # allowed when saved (the tests allow 127.0.0.0/8)
    app.config["OUTBOUND_ALLOW_NETWORKS"] = ""  # no longer
    make_user("ærlig@example.com")
    assert delivery.acquire(settings)
    delivery.run_pass(settings)
    assert receiver.requests == []
    [(_, error)] = pending()
    assert "not a public address" in error


def test_the_alert_webhook_is_checked_and_never_follows_a_redirect(app, admin_client, receivers):
    app.config["OUTBOUND_ALLOW_NETWORKS"] = ""
    form = {"enabled": "y", "url": "http://169.254.169.254/hook", "secret": "whsec-Øre"}
    page = admin_client.post("/admin/health/alerts/webhook", data=form).get_data(as_text=True)
    assert "Rollcall does not send there" in page and "link-local" in page

    app.config["OUTBOUND_ALLOW_NETWORKS"] = "127.0.0.0/8"
    elsewhere = receivers()
    redirecting = receivers(failures=[(307, {"Location": elsewhere.url})])
    assert admin_client.post("/admin/health/alerts/webhook", data={
        **form, "url": redirecting.url}).status_code == 302
    admin_client.post("/admin/health/alerts/test/webhook")
    assert len(redirecting.requests) == 1 and elsewhere.requests == []
    [sent] = db.session.execute(select(OpsDelivery)).scalars()
    assert sent.status == "failed" and "307" in sent.last_error


def test_a_bad_allow_list_fails_at_start(tmp_path):
    with pytest.raises(ValueError, match="'10.0.0.0/33' is not a network"):
        create_app({"OUTBOUND_ALLOW_NETWORKS": "127.0.0.0/8, 10.0.0.0/33",
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite"})
