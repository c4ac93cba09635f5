"""A cursor walk (RFC 9865) while other clients create and delete users at the same time.

Each thread has its own app context and test client, so its own session and connection,
as concurrent requests to a server have. Whatever the interleaving, every person who
was there before the walk and still is after it is seen exactly once.
"""

import threading

import pytest

from tests.conftest import user_body
from tests.hardening.support import run_together

PEOPLE = 40


@pytest.fixture
def app_config():
    return {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 12, "pool_pre_ping": True}}


def call(app, token, method, path, body=None):
    with app.app_context():
        response = app.test_client().open(
            f"/scim/v2/{path}", method=method, json=body,
            headers={"Authorization": f"Bearer {token}"})
        return response.status_code, response.get_json()


@pytest.mark.parametrize("path", ["Users", ""])
def test_a_walk_beside_writers_skips_and_repeats_nobody(app, token, path):
    before = []
    for i in range(PEOPLE):
        status, body = call(app, token, "POST", "Users", user_body(f"før{i}@example.com"))
        assert status == 201, body
        before.append(body["id"])
    doomed = set(before[1::4])
    done = threading.Event()

    def walk():
        seen, cursor = [], ""
        try:
            while cursor is not None:
                status, body = call(app, token, "GET", f"{path}?cursor={cursor}&count=3")
                assert status == 200, body
                seen += [r["id"] for r in body["Resources"]]
                cursor = body.get("nextCursor")
        finally:
            done.set()
        return seen

    def churn(k):
        def job():
            created, n = [], 0
            for gone in sorted(doomed)[k::2]:
                call(app, token, "DELETE", f"Users/{gone}")
            while not done.is_set() and n < 200:
                status, body = call(app, token, "POST", "Users",
                                    user_body(f"neu{k}-{n}@example.com"))
                assert status == 201, body
                created.append(body["id"])
                n += 1
            return created
        return job

    seen, *made = run_together([walk, churn(0), churn(1)], timeout=120)
    assert not isinstance(seen, Exception), seen
    assert len(seen) == len(set(seen)), "someone was repeated"
    stayed = [i for i in before if i not in doomed]
    assert [i for i in seen if i in stayed] == stayed  # all of them, in creation order
    newcomers = {i for batch in made for i in batch}
    assert set(seen) <= set(before) | newcomers
