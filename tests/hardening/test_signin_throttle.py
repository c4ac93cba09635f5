"""Sign-in throttling: growing delays per address and per account, shared by the workers.

A guesser is slowed; the account's admin, from a clean address or a browser that signed
in before, is never refused (services/signin_throttle.py, docs/security.md).
"""

import re
import urllib.parse

import pytest
from limits.storage import storage_from_string
from sqlalchemy import func
from sqlalchemy import select

from models import ChangeRecord
from models import db
from services import signin_throttle as throttle
from tests.admin.helpers import PASSWORD
from tests.admin.helpers import FreshClient
from tests.admin.helpers import cheap_hashes
from tests.admin.helpers import make_account
from tests.hardening.support import ROOT
from tests.hardening.support import Server
from tests.hardening.support import run_together

WRONG = "wrong pässword ÆØÅ"


@pytest.fixture
def app_config():
    # Waits of a minute and more: no test depends on how fast the machine is.
    return {"RATELIMIT_ENABLED": True, "LOGIN_FREE_FAILURES_ADDRESS": 3,
            "LOGIN_FREE_FAILURES_ACCOUNT": 2, "LOGIN_FIRST_DELAY": 60}


@pytest.fixture(autouse=True)
def _cheap(monkeypatch):
    cheap_hashes(monkeypatch)


@pytest.fixture
def client(app):
    app.test_client_class = FreshClient
    return app.test_client()


def attempt(client, address, username, password=WRONG):
    return client.post("/auth/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def failures_recorded() -> int:
    return db.session.execute(select(func.count()).select_from(ChangeRecord).where(
        ChangeRecord.action == "admin.sign_in_failed")).scalar()


def test_delays_grow_and_are_capped(tmp_path):
    storage = storage_from_string(f"rollcall+sqlite://{tmp_path}/t.sqlite")
    policy = throttle.Policy(free=2, cap=480, first=60)
    waits = []
    for _ in range(7):
        throttle.fail(storage, "k", policy)
        waits.append(throttle.wait(storage, "k"))
    assert waits[:2] == [0, 0]
    assert 50 < waits[2] <= 60 < waits[3] <= 120 < waits[4] <= 240 < waits[5] <= 480
    assert 240 < waits[6] <= 480


def test_an_address_that_keeps_failing_waits_and_is_not_checked(app, client):
    make_account("Zoë")
    for name in ("a", "b", "c", "d"):  # four names: no account reaches its own limit
        assert attempt(client, "10.0.0.1", name).status_code == 200
    assert attempt(client, "10.0.0.1", "e").status_code == 429  # the fourth started a wait
    recorded = failures_recorded()
    response = attempt(client, "10.0.0.1", "Zoë", PASSWORD)
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
    assert "Too many failed sign-ins" in response.get_data(as_text=True)
    assert failures_recorded() == recorded  # not checked, so not an oracle either
    assert attempt(client, "10.0.0.2", "Zoë", PASSWORD).status_code == 302


def test_an_attacked_account_still_lets_its_admin_in_from_a_clean_address(app, client):
    make_account("Zoë")
    for i in range(3):  # spread over addresses: each stays under the address limit
        assert attempt(client, f"10.0.1.{i}", "Zoë").status_code == 200
    assert attempt(client, "10.0.1.0", "Zoë", PASSWORD).status_code == 429  # a guesser's
    assert attempt(client, "192.0.2.7", "ZOË", PASSWORD).status_code == 302  # the admin's


def test_a_browser_that_signed_in_before_is_never_slowed(app, client):
    make_account("Zoë")
    assert attempt(client, "10.0.2.1", "Zoë", PASSWORD).status_code == 302
    client.post("/auth/logout")
    attacker = app.test_client()
    for name in ("Zoë", "Zoë", "Zoë", "x"):  # the shared address, then the account, waits
        attempt(attacker, "10.0.2.1", name)
    assert attempt(attacker, "10.0.2.1", "Zoë", PASSWORD).status_code == 429
    assert attempt(client, "10.0.2.1", "Zoë", PASSWORD).status_code == 302  # device cookie


def test_successful_sign_ins_do_not_count(app, client):
    make_account("Zoë")
    for _ in range(6):
        assert attempt(client, "10.0.3.1", "Zoë", PASSWORD).status_code == 302
        client.post("/auth/logout")


def _sign_in_over_http(base: str, username: str, password: str) -> int:
    """GET the form for a session cookie and CSRF token, then POST it: the status."""
    import http.client

    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request("GET", "/auth/login")
        form = conn.getresponse()
        html = form.read().decode()
        cookie = form.getheader("Set-Cookie").split(";")[0]
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
        body = urllib.parse.urlencode({"csrf_token": token, "username": username,
                                       "password": password, "next": ""})
        conn.request("POST", "/auth/login", body=body, headers={
            "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
        return conn.getresponse().status
    finally:
        conn.close()


def test_two_gunicorn_workers_share_the_failures(app, tmp_path):
    storage_from_string(f"rollcall+sqlite://{ROOT}/instance/ratelimits.sqlite").reset()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with Server(tmp_path, url, workers=2, threads=1, GUNICORN_CMD_ARGS="--worker-class sync",
                LOGIN_FIRST_DELAY=60) as server:
        statuses = run_together([lambda n=n: _sign_in_over_http(server.base, f"n{n}", WRONG)
                                 for n in range(14)])
    # Ten free attempts from one address, then one that starts a wait: 11 checked, at once.
    assert statuses.count(200) == 11 and statuses.count(429) == 3, statuses
