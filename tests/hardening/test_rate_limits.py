"""Rate limits per token (Flask-Limiter): SCIM 429 with Retry-After, memory or Redis storage."""

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
