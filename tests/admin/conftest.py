"""Admin UI fixtures: signed-in clients, and a cheap password hash for speed."""

import pytest

from tests.admin.helpers import FreshClient
from tests.admin.helpers import cheap_hashes as use_cheap_hashes
from tests.admin.helpers import make_account
from tests.admin.helpers import sign_in


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch):
    use_cheap_hashes(monkeypatch)


@pytest.fixture
def client(app):
    app.test_client_class = FreshClient
    return app.test_client()


@pytest.fixture
def admin_client(app, client):
    make_account("alice", "admin")
    response = sign_in(client, "alice")
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture
def auditor_client(app, client):
    make_account("olga", "auditor")
    response = sign_in(client, "olga")
    assert response.status_code == 302
    return client
