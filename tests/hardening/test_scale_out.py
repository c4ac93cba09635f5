"""Two app servers on one PostgreSQL and one Redis behave as one Rollcall.

Uniqueness, group membership updates, the audit chain and the rate limit hold across
them: the database and Redis hold all shared state, the app servers none.
"""

from collections import Counter

import pytest

from tests.hardening.support import REDIS
from tests.hardening.support import Http
from tests.hardening.support import Server
from tests.hardening.support import new_token
from tests.hardening.support import patch_body
from tests.hardening.support import run_together
from tests.hardening.support import user_body

LIMIT = 60


@pytest.fixture
def servers(app, redis_db, tmp_path):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgres"):
        pytest.skip("several app servers need PostgreSQL (set TEST_DATABASE_URL)")
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    pair = [Server(tmp_path, url, workers=2, threads=4, RATELIMIT_STORAGE_URI=REDIS,
                   SCIM_RATE_LIMIT=f"{LIMIT}/minute") for _ in range(2)]
    try:
        for server in pair:
            server.launch()
        for server in pair:
            server.wait_ready()
        yield pair
    finally:
        for server in pair:
            server.stop()


def alternate(servers, token):
    """An endless A, B, A, B… of clients, one per server."""
    clients = [Http(s.base, token) for s in servers]
    i = 0
    while True:
        yield clients[i % 2]
        i += 1


@pytest.mark.slow
def test_two_servers_on_one_database_and_redis(app, servers, runner):
    # Uniqueness: the same userName posted to both at once: one 201.
    clients = alternate(servers, new_token("uniqueness"))

    def post_twin(client):
        return lambda: client.call("POST", "/scim/v2/Users", user_body("twin@example.com"))

    results = run_together([post_twin(next(clients)) for _ in range(16)])
    assert Counter(status for status, _, _ in results) == {201: 1, 409: 15}

    # Membership: concurrent member adds through both servers: none lost.
    clients = alternate(servers, new_token("membership"))
    group = next(clients).call("POST", "/scim/v2/Groups", {"displayName": "Everyone"})[2]["id"]
    users = [next(clients).call("POST", "/scim/v2/Users", user_body(f"m{i}@example.com"))[2]["id"]
             for i in range(24)]

    def add(client, user_id):
        op = {"op": "add", "path": "members", "value": [{"value": user_id}]}
        return lambda: client.call("PATCH", f"/scim/v2/Groups/{group}", patch_body(op))[0]

    assert run_together([add(next(clients), u) for u in users]) == [204] * len(users)
    body = next(clients).call("GET", f"/scim/v2/Groups/{group}")[2]
    assert sorted(m["value"] for m in body["members"]) == sorted(users)
    assert body["meta"]["version"] == f'W/"{1 + len(users)}"'

    # The rate limit is one budget in Redis, not one per server.
    clients = alternate(servers, new_token("throttled"))
    responses = [next(clients).call("GET", "/scim/v2/ServiceProviderConfig")
                 for _ in range(LIMIT + 10)]
    assert Counter(status for status, _, _ in responses) == {200: LIMIT, 429: 10}
    assert all("Retry-After" in headers for status, headers, _ in responses if status == 429)

    for server in servers:
        assert server.stop() == 0, server.log()
    # Both servers sealed the audit chains concurrently; the chain still verifies.
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
