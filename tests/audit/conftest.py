"""Audit fixtures: signed-in admin and auditor clients, and database helpers.

Test modules here take what they need as fixtures (no `from conftest import`): several
conftest modules share that name across the suite.
"""

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text

from models import ChangeRecord
from models import RequestLog
from models import db
from services import admins
from services.actor import CLI
from services.audit import query as audit_query

PASSWORD = "correct horse battery staple"
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch):
    """argon2id with production parameters takes ~0.2 s a hash; tests need not wait."""
    monkeypatch.setattr(admins, "_hasher", CHEAP)
    monkeypatch.setattr(admins, "_DUMMY", CHEAP.hash("dummy password"))


@pytest.fixture(autouse=True)
def fresh_charts():
    """Chart counts are cached per process for 30 s; each test starts without them."""
    audit_query.forget_charts()


def _signed_in(app, username, role):
    admins.create(username, PASSWORD, role, CLI)
    client = app.test_client()
    response = client.post("/auth/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture
def auditor(app):
    """A client signed in through the real login form as an auditor."""
    return _signed_in(app, "olga", "auditor")


@pytest.fixture
def admin_ui(app):
    """A client signed in through the real login form as an admin."""
    return _signed_in(app, "alice", "admin")


@pytest.fixture
def rows():
    """All rows of a model, oldest first."""

    def rows(model):
        db.session.rollback()
        return list(db.session.execute(select(model).order_by(model.id)).scalars())

    return rows


@pytest.fixture
def get():
    """One row by primary key, read afresh (CLI commands commit on other connections)."""

    def get(model, key):
        db.session.rollback()
        return db.session.get(model, key)

    return get


@pytest.fixture
def count():
    def count(model, *conditions):
        db.session.rollback()
        stmt = select(func.count()).select_from(model).where(*conditions)
        return db.session.execute(stmt).scalar()

    return count


@pytest.fixture
def sql():
    """Run raw SQL as someone with database access would, committed."""

    def sql(statement, **params):
        db.session.rollback()
        with db.engine.begin() as conn:
            return conn.execute(text(statement), params)

    return sql


@pytest.fixture
def everything():
    """Every stored audit row as one text, to search for secrets."""

    def everything():
        db.session.rollback()
        out = []
        for model in (RequestLog, ChangeRecord):
            for row in db.session.execute(select(model.__table__)).all():
                out.append(repr(tuple(row)))
        return "\n".join(out)

    return everything
