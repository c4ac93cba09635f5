"""Rate limits per token (blueprints/rate_limits.py): SCIM 429 with Retry-After, in a file, memory or Redis."""

import time

import pytest
from limits import parse
from limits.storage import storage_from_string
from sqlalchemy import select

import extensions
from app import DEFAULTS
from app import create_app
from models import RequestLog
from models import db
from services.audit import requestlog
from tests.hardening.support import REDIS
from tests.hardening.support import new_token

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": True, "SCIM_RATE_LIMIT": "3/minute",
            "SCIM_AUTH_FAILURE_LIMIT": "2/minute"}


def get_users(client, secret):
    return client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {secret}"})


def test_over_the_limit_is_a_scim_429_with_retry_after(app, client):
    secret = new_token()
    assert [get_users(client, secret).status_code for _ in range(3)] == [200] * 3

    response = get_users(client, secret)

    assert response.status_code == 429
    assert response.content_type == "application/scim+json"
    body = response.get_json()
    assert body["schemas"] == [ERROR] and body["status"] == "429"
    assert "3 per 1 minute" in body["detail"]
    assert 1 <= int(response.headers["Retry-After"]) <= 61
    requestlog.writer_for(app).flush()
    statuses = db.session.execute(select(RequestLog.status).order_by(RequestLog.id)).scalars()
    assert list(statuses) == [200, 200, 200, 429]  # throttled requests are on the record too


def test_the_limit_counts_per_token(app, client):
    first, second = new_token("first"), new_token("second")
    for _ in range(3):
        get_users(client, first)
    assert get_users(client, first).status_code == 429
    assert get_users(client, second).status_code == 200


def test_failed_authentications_are_limited_per_address_but_not_valid_tokens(app, client):
    secret = new_token()
    assert [get_users(client, f"guess{i}").status_code for i in range(2)] == [401, 401]
    throttled = get_users(client, "guess3")
    assert throttled.status_code == 429 and "Retry-After" in throttled.headers
    # Another client's failures from the same address never lock out a valid token.
    assert get_users(client, secret).status_code == 200


def test_the_default_is_well_above_entras_25_requests_a_second():
    limit = parse(DEFAULTS["SCIM_RATE_LIMIT"])
    assert limit.amount / limit.get_expiry() >= 100


def test_the_limit_and_its_storage_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SCIM_RATE_LIMIT", "50/second")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", REDIS)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite",
                      "SECRET_KEY": "x"})
    assert app.config["SCIM_RATE_LIMIT"] == "50/second"
    assert app.config["RATELIMIT_STORAGE_URI"] == REDIS
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True, "SCIM_RATE_LIMIT": "3/minute",
                                         "RATELIMIT_STORAGE_URI": REDIS}])
def test_redis_holds_the_counters(redis_db, app, client):
    secret = new_token()
    assert [get_users(client, secret).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert any(b"scim-token" in key for key in redis_db.keys("*"))


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True, "SCIM_RATE_LIMIT": "3/minute",
                                         "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:9/15"}])
def test_a_redis_outage_degrades_to_per_process_limits(app, client):
    secret = new_token()
    # Entra quarantines an app whose calls fail: no 500 because the limiter's store is down.
    assert [get_users(client, secret).status_code for _ in range(4)] == [200, 200, 200, 429]


def test_memory_counters_start_no_thread_per_hit_and_still_expire(monkeypatch):
    storage = storage_from_string("memory://")
    assert isinstance(storage, extensions.MemoryStorage)  # what memory:// gives in Rollcall
    first_timer = storage.timer
    for i in range(3):
        storage.incr(f"token-{i}", expiry=60)
        time.sleep(0.03)  # limits' own storage starts a new sweep thread after 10 ms
    assert storage.timer is first_timer
    assert storage.get("token-0") == 1

    storage.incr("short-lived", expiry=0.05)
    time.sleep(0.1)
    monkeypatch.setattr(storage, "SWEEP_INTERVAL", 0)
    storage.incr("token-0", expiry=60)  # any hit sweeps, at most once per interval
    assert "short-lived" not in storage.storage  # swept although nobody read it again
    assert storage.get("token-0") == 2


@pytest.mark.parametrize("authorization", [
    "Bearer {}", "bearer {}", "BEARER {}", "Bearer  {}", "Bearer {} ", "\tBearer {}"])
def test_the_budget_is_the_tokens_whatever_the_header_spelling(app, client, authorization):
    secret = new_token("Ångström")
    for _ in range(3):
        assert get_users(client, secret).status_code == 200
    response = client.get("/scim/v2/Users",
                          headers={"Authorization": authorization.format(secret)})
    assert response.status_code in (401, 429)  # a spelling that authenticates shares the budget


def test_one_budget_across_every_scim_endpoint(app, client):
    secret = new_token()
    headers = {"Authorization": f"Bearer {secret}"}
    statuses = [client.get(path, headers=headers).status_code for path in (
        "/scim/v2/Users", "/scim/v2/Groups", "/scim/v2/Schemas", "/scim/v2/ResourceTypes")]
    assert statuses == [200, 200, 200, 429]


def test_the_default_storage_is_a_file_every_worker_shares(app):
    assert app.config["RATELIMIT_STORAGE_URI"].startswith("rollcall+sqlite://")
    first = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])
    second = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])  # another process's
    assert [first.incr("k", 60), second.incr("k", 60), first.incr("k", 60)] == [1, 2, 3]
    assert second.get("k") == 3 and 0 < second.get_expiry("k") - time.time() <= 60
    first.incr("short", 0.05)
    time.sleep(0.1)
    assert second.get("short") == 0 and first.incr("short", 60) == 1  # a new window


def test_two_gunicorn_workers_share_one_budget_by_default(app, tmp_path):
    from tests.hardening.support import ROOT
    from tests.hardening.support import Http
    from tests.hardening.support import Server
    from tests.hardening.support import run_together

    storage_from_string(f"rollcall+sqlite://{ROOT}/instance/ratelimits.sqlite").reset()
    secret = new_token()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    # Sync workers take one connection at a time, so concurrent requests reach both.
    with Server(tmp_path, url, workers=2, threads=1, SCIM_RATE_LIMIT="10/minute",
                GUNICORN_CMD_ARGS="--worker-class sync", **STORAGE_UNDER_TEST) as server:
        client = Http(server.base, secret)
        results = run_together([lambda: client.call("GET", "/scim/v2/Users?count=1")
                                for _ in range(24)])
    statuses = [result[0] for result in results]
    assert statuses.count(200) == 10 and statuses.count(429) == 14, statuses


# The default configuration; {"RATELIMIT_STORAGE_URI": "memory://"} lets 20 through.
STORAGE_UNDER_TEST: dict = {}


def test_a_directorys_tenant_url_spends_its_tokens_budget(app, client):
    from services import directories
    from services import tokens
    from services.context import in_directory
    from tests.conftest import ADMIN

    other = directories.create("ostfold", "Østfold", False, ADMIN)
    with in_directory(other.id):
        _, secret = tokens.issue("Østfold-token", 90, ADMIN)
    headers = {"Authorization": f"Bearer {secret}"}
    statuses = [client.get(f"/scim/v2/{other.slug}/{path}", headers=headers).status_code
                for path in ("Users", "Groups", "Schemas", "Users")]
    assert statuses == [200, 200, 200, 429]
    assert get_users(client, new_token()).status_code == 200  # another token, its own budget


class FailingStorage(extensions.MemoryStorage):
    """Counters in memory that fail while `down`, as Redis does in an outage."""

    down = True

    def incr(self, key, expiry, amount=1):
        return self._unless_down(super().incr, key, expiry, amount)

    def get(self, key):
        return self._unless_down(super().get, key)

    def get_expiry(self, key):
        return self._unless_down(super().get_expiry, key)

    def _unless_down(self, call, *args):
        if self.down:
            raise ConnectionError("storage down")
        return call(*args)


def test_counts_move_to_memory_while_the_storage_is_down_and_back_after(monkeypatch):
    from limits.strategies import FixedWindowRateLimiter

    from blueprints import rate_limits

    counters = rate_limits.Counters("memory://", "2/minute", "2/minute")
    storage = FailingStorage()
    counters.shared = FixedWindowRateLimiter(storage)
    counters.spend("token:1")
    counters.spend("token:1")  # both counted in memory, the storage being down
    with pytest.raises(rate_limits.Exceeded) as exceeded:
        counters.spend("token:1")
    assert 1 <= exceeded.value.retry_after <= 60 and "2 per 1 minute" in str(exceeded.value)

    storage.down = False  # back, but not tried again before RETRY_SECONDS have passed
    with pytest.raises(rate_limits.Exceeded):
        counters.spend("token:1")
    assert storage.get("LIMITER/scim-token/token:1/2/1/minute") == 0
    monkeypatch.setattr(counters, "shared_from", 0.0)
    counters.spend("token:1")  # the shared storage's own count starts afresh
    assert storage.get("LIMITER/scim-token/token:1/2/1/minute") == 1


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True,
                                         "SCIM_RATE_LIMIT": "100/minute;3/hour"}])
def test_several_limits_in_one_setting_each_hold(app, client):
    secret = new_token("Åsa")
    assert [get_users(client, secret).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert "3 per 1 hour" in get_users(client, secret).get_json()["detail"]
