"""A live gunicorn (two workers, four threads each, as deployed) for the concurrency tests.

The server serves the test's own database (the SQLite file of the `app` fixture, or
TEST_DATABASE_URL), so the test reads the outcome straight from the tables.
"""

import pytest

from services import rules
from tests.conftest import ADMIN
from tests.hardening.support import Http
from tests.hardening.support import Server
from tests.hardening.support import new_token


@pytest.fixture
def live(app, tmp_path):
    """start(**rules) -> an Http client of a server started with those provisioning rules.

    The rules are saved before the workers start, so no worker holds older ones in its
    settings cache.
    """
    servers = []

    def start(**values):
        if values:
            rules.save(values, ADMIN)
        server = Server(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"], workers=2, threads=4)
        servers.append(server)
        server.start()
        return Http(server.base, new_token("concurrency"))

    yield start
    for server in servers:
        server.stop()
