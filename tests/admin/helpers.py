"""Helpers for tests that sign in to the admin UI (imported by tests/admin and tests/api)."""

import re

import pytest
from argon2 import PasswordHasher
from flask import g
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select

from models import ApiToken
from models import ChangeRecord
from models import CustomField
from models import Setting
from models import db
from services import admins
from services.actor import CLI

PASSWORD = "correct horse battery"
# argon2id with production parameters takes ~0.2 s a hash; tests need not wait.
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


class FreshClient(FlaskClient):
    """A test client that starts each request with an empty `g`, as a server does.

    The suite's app fixture keeps one app context pushed, so `g` outlives a request, and
    Flask-Login and Flask-WTF cache the user and CSRF token there.
    """

    def open(self, *args, **kwargs):
        for key in list(g):
            g.pop(key)
        return super().open(*args, **kwargs)


def cheap_hashes(monkeypatch) -> None:
    monkeypatch.setattr(admins, "_hasher", CHEAP)
    monkeypatch.setattr(admins, "_DUMMY", CHEAP.hash("dummy password"))


def make_account(username, role="admin", password=PASSWORD, **kw):
    return admins.create(username, password, role, CLI, **kw)


def sign_in(client, username, password=PASSWORD, follow=False, **form):
    data = {"username": username, "password": password, **form}
    return client.post("/auth/login", data=data, follow_redirects=follow)


def page(response) -> str:
    return response.get_data(as_text=True)


def counts() -> dict:
    """Row counts of everything an admin write could change."""
    return {model.__name__: db.session.execute(select(func.count()).select_from(model)).scalar()
            for model in (ApiToken, ChangeRecord, CustomField, Setting)}


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', html).group(1)


@pytest.fixture(name="client")
def fresh_client(app, monkeypatch):
    """A test client with cheap password hashes and a fresh `g` per request."""
    cheap_hashes(monkeypatch)
    app.test_client_class = FreshClient
    return app.test_client()


@pytest.fixture(name="admin")
def signed_in_admin(client):
    """The client, signed in as the admin "alice"."""
    make_account("alice")
    assert sign_in(client, "alice").status_code == 302
    return client
