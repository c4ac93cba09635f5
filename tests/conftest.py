"""Fixtures shared by the whole suite.

Every test starts from an empty database: a new SQLite file by default, or, with
TEST_DATABASE_URL set to a PostgreSQL URL, one schema created per session and emptied
after each test. The same tests run on both.
"""

import os

import flask_migrate
import pytest
from sqlalchemy import insert
from sqlalchemy import text

from app import create_app
from models import Directory
from models import db
from models import directory
from services import caches
from services import tokens
from services.actor import Actor
from services.audit import requestlog

DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
IS_POSTGRES = DATABASE_URL.startswith("postgres")


@pytest.fixture(scope="session")
def _schema():
    """On PostgreSQL, create the schema once for the session."""
    if not IS_POSTGRES:
        yield
        return
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": DATABASE_URL})
    with app.app_context():
        # Built by the migrations, not create_all, so the suite also proves them.
        db.drop_all()
        db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()
        flask_migrate.upgrade()
        db.session.remove()
        db.engine.dispose()
    yield


def make_app(tmp_path, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": DATABASE_URL or f"sqlite:///{tmp_path}/rollcall.sqlite",
        "REQUEST_LOG_ASYNC": False,
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": f"rollcall+sqlite://{tmp_path}/ratelimits.sqlite",
        # The tests' receivers listen on loopback (services/outbound.py).
        "OUTBOUND_ALLOW_NETWORKS": "127.0.0.0/8",
        "REQUEST_LOG_SPOOL": f"{tmp_path}/requestlog-spool.jsonl",
        "WTF_CSRF_ENABLED": False,
        "EVENTS_DELIVERY_THREAD": False,
    }
    config.update(overrides)
    return create_app(config)


def reset_caches():
    caches.clear()


@pytest.fixture
def app_config():
    """Per-test config overrides; override this fixture in a module to change them."""
    return {}


@pytest.fixture
def app(_schema, tmp_path, app_config):
    """A fresh app with an app context pushed; the database is empty at start."""
    app = make_app(tmp_path, **app_config)
    reset_caches()
    with app.app_context():
        if not IS_POSTGRES:
            db.create_all()
        yield app
        # A background writer must not land rows in the next test's (emptied) database.
        requestlog.writer_for(app).stop()
        db.session.remove()
        if IS_POSTGRES:
            names = ", ".join(t.name for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
                # The next test starts, as after the migration, with the default directory.
                conn.execute(insert(Directory.__table__).values(directory.default_row()))
        db.engine.dispose()
    reset_caches()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


ADMIN = Actor("cli", "test", "test suite")


@pytest.fixture
def token(app):
    """A valid bearer token secret."""
    _, secret = tokens.issue("test-token", 90, ADMIN)
    return secret


class ScimClient:
    """A test client that talks like Entra: bearer token and application/scim+json."""

    def __init__(self, client, secret):
        self.client = client
        self.headers = {"Authorization": f"Bearer {secret}",
                        "Content-Type": "application/scim+json; charset=utf-8"}

    def _call(self, method, path, json=None, headers=None, **kw):
        url = path if path.startswith("/") else f"/scim/v2/{path}"
        all_headers = {**self.headers, **(headers or {})}
        return self.client.open(url, method=method, json=json, headers=all_headers, **kw)

    def get(self, path, **kw):
        return self._call("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self._call("POST", path, json=json, **kw)

    def put(self, path, json=None, **kw):
        return self._call("PUT", path, json=json, **kw)

    def patch(self, path, json=None, **kw):
        return self._call("PATCH", path, json=json, **kw)

    def delete(self, path, **kw):
        return self._call("DELETE", path, **kw)


@pytest.fixture
def scim(client, token):
    """A SCIM client with a valid token."""
    return ScimClient(client, token)


def user_body(user_name, **extra):
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "active": True,
        "emails": [{"value": f"{user_name}", "type": "work", "primary": True}],
    }
    body.update(extra)
    return body


@pytest.fixture
def make_user(scim):
    """Create a user over SCIM and return its resource."""

    def make(user_name, **extra):
        response = scim.post("Users", user_body(user_name, **extra))
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return make
