"""Failed sign-ins are throttled per address and per username; successes are never counted."""

import pytest
from sqlalchemy import select

from models import ChangeRecord
from models import db
from tests.admin.helpers import make_account
from tests.admin.helpers import page
from tests.admin.helpers import sign_in


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "5 per minute",
            "LOGIN_ACCOUNT_RATE_LIMIT": "3 per minute;1000 per minute"}


def from_address(client, address, username, password="wrong password!"):
    return client.post("/auth/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_failures_from_one_address_are_throttled(app, client):
    for name in ("a", "b", "c", "d", "e"):  # five usernames: the per-account limit stays clear
        assert from_address(client, "10.0.0.1", name).status_code == 200
    response = from_address(client, "10.0.0.1", "f")
    assert response.status_code == 429
    assert "Too many failed sign-ins" in page(response)
    assert from_address(client, "10.0.0.2", "f").status_code == 200  # another address


def test_a_throttled_attempt_is_not_checked(app, client):
    make_account("alice")
    for name in ("a", "b", "c", "d", "e"):
        from_address(client, "10.0.0.1", name)
    failed = db.session.execute(select(ChangeRecord).where(
        ChangeRecord.action == "admin.sign_in_failed")).scalars().all()
    response = from_address(client, "10.0.0.1", "alice", "correct horse battery")
    assert response.status_code == 429
    assert client.get("/admin/").status_code == 302
    assert len(db.session.execute(select(ChangeRecord).where(
        ChangeRecord.action == "admin.sign_in_failed")).scalars().all()) == len(failed)


def test_failures_for_one_username_are_throttled_from_any_address(app, client):
    make_account("alice")
    for i in range(3):
        assert from_address(client, f"10.0.1.{i}", "alice").status_code == 200
    response = from_address(client, "10.0.1.9", "ALICE ", "correct horse battery")
    assert response.status_code == 429
    make_account("bob")
    assert from_address(client, "10.0.1.9", "bob", "correct horse battery").status_code == 302


def test_successful_sign_ins_do_not_count(app, client):
    make_account("alice")
    for _ in range(8):
        assert sign_in(client, "alice").status_code == 302
        client.post("/auth/logout")
