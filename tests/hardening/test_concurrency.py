"""Concurrent writers on one user: one winner for a userName, no lost update.

Each thread has its own app context and test client, so its own database session and
connection: on PostgreSQL the unique index and the row lock (SELECT … FOR UPDATE) decide;
on SQLite the write lock does. docs/operations.md explains ETags versus row locks.
"""

import threading
from collections import Counter

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update

from models import ChangeRecord
from models import User
from models import db
from scim.schema import ENTERPRISE
from services import rules as rule_changes
from services import users
from services.actor import CLI
from tests.conftest import IS_POSTGRES
from tests.hardening.support import USER_SCHEMA
from tests.hardening.support import patch_body
from tests.hardening.support import run_together
from tests.hardening.support import user_body
from tests.hardening.support import user_problems

THREADS = 16


@pytest.fixture
def app_config():
    # A request holds its session's connection while the (synchronous, in tests) request
    # log takes a second one: 16 threads need more than the default pool of 5 + 10.
    return {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 2 * THREADS + 2, "pool_pre_ping": True}}


def call(app, token, method, path, body=None, headers=None):
    """One SCIM request from a thread of its own: (status, JSON body)."""
    with app.app_context():
        response = app.test_client().open(
            f"/scim/v2/{path}", method=method, json=body,
            headers={"Authorization": f"Bearer {token}", **(headers or {})})
        return response.status_code, response.get_json()


def test_concurrent_creates_of_one_user_name_give_one_201(app, token):
    results = run_together([lambda: call(app, token, "POST", "Users", user_body("Same@Example.com"))
                            for _ in range(THREADS)])

    statuses = Counter(status for status, _ in results)
    assert statuses == {201: 1, 409: THREADS - 1}, results
    assert all(body["scimType"] == "uniqueness" for status, body in results if status == 409)
    count = select(func.count()).select_from(User).where(
        func.lower(User.user_name) == "same@example.com")
    assert db.session.execute(count).scalar() == 1
    assert user_problems() == []


def test_concurrent_patches_of_one_user_lose_no_update(app, token, scim):
    user = scim.post("Users", user_body("busy@example.com")).get_json()

    def add_email(i):
        op = {"op": "add", "path": "emails", "value": [{"value": f"e{i}@example.com",
                                                         "type": "other"}]}
        return lambda: call(app, token, "PATCH", f"Users/{user['id']}", patch_body(op))

    results = run_together([add_email(i) for i in range(THREADS)])

    assert [status for status, _ in results] == [200] * THREADS, results
    final = scim.get(f"Users/{user['id']}").get_json()
    values = sorted(e["value"] for e in final["emails"])
    assert values == sorted(["busy@example.com", *(f"e{i}@example.com" for i in range(THREADS))])
    assert final["meta"]["version"] == f'W/"{1 + THREADS}"'
    assert user_problems() == []


def test_if_match_lets_exactly_one_of_concurrent_writers_win(app, token, scim):
    user = scim.post("Users", user_body("etag@example.com")).get_json()
    version = user["meta"]["version"]

    def rename(i):
        op = {"op": "replace", "path": "displayName", "value": f"Writer {i}"}
        return lambda: call(app, token, "PATCH", f"Users/{user['id']}", patch_body(op),
                            headers={"If-Match": version})

    results = run_together([rename(i) for i in range(THREADS)])

    assert Counter(status for status, _ in results) == {200: 1, 412: THREADS - 1}, results
    [winner] = [body for status, body in results if status == 200]
    final = scim.get(f"Users/{user['id']}").get_json()
    assert final["displayName"] == winner["displayName"]
    assert final["meta"]["version"] == 'W/"2"'
    assert user_problems() == []


def _overtaken_patches(monkeypatch, app, user_id: str, times: int) -> list:
    """Let another writer change the user after each of the first `times` PATCH drafts."""
    real, drafts = users._patched, []

    def overtaken(user, *args):
        change = real(user, *args)
        drafts.append(user.version)
        if len(drafts) <= times:
            with db.engine.begin() as conn:  # its own connection: a writer elsewhere
                current = conn.execute(select(User.version, User.data)
                                       .where(User.id == user_id)).one()
                conn.execute(update(User).where(User.id == user_id).values(
                    version=current.version + 1, display_name=f"Other {len(drafts)}",
                    data={**current.data, "displayName": f"Other {len(drafts)}"}))
        return change

    monkeypatch.setattr(users, "_patched", overtaken)
    return drafts


@pytest.mark.skipif(IS_POSTGRES, reason="PostgreSQL PATCHes read under the row lock: "
                    "nobody overtakes them (the next test)")
@pytest.mark.parametrize("overtakes", [1, users.PATCH_ATTEMPTS - 1])
def test_a_patch_that_was_overtaken_starts_over_and_loses_nothing(
        app, scim, monkeypatch, overtakes):
    user = scim.post("Users", user_body("race@example.com")).get_json()
    drafts = _overtaken_patches(monkeypatch, app, user["id"], overtakes)

    op = {"op": "replace", "path": "title", "value": "Boss"}
    response = scim.patch(f"Users/{user['id']}", patch_body(op))

    assert response.status_code == 200, response.get_json()
    assert len(drafts) == overtakes + 1  # each overtaken draft was thrown away, then one won
    final = scim.get(f"Users/{user['id']}").get_json()
    assert final["title"] == "Boss"
    assert final["displayName"] == f"Other {overtakes}"  # the other writer's change is kept
    assert final["meta"]["version"] == f'W/"{1 + overtakes + 1}"'
    changes = db.session.execute(select(ChangeRecord.changes).where(
        ChangeRecord.action == "user.patch", ChangeRecord.resource_id == user["id"])).scalars()
    assert list(changes) == [{"title": [None, "Boss"]}]  # one record: for the write that won


@pytest.mark.skipif(not IS_POSTGRES, reason="SQLite PATCHes are optimistic (the test before)")
def test_a_writer_during_a_patch_waits_for_it_and_loses_nothing(app, scim, monkeypatch):
    """On PostgreSQL a PATCH holds the user's row lock from its read.

    Another writer, arriving while the PatchOp is applied, waits for its commit and then
    writes on top.
    """
    user = scim.post("Users", user_body("Ørjan.race@example.com")).get_json()
    real, others = users._patched, []

    def meanwhile(draft, *args):
        others.append(threading.Thread(target=_rename, args=(app, user["id"], "Ölaf Other")))
        others[0].start()
        others[0].join(timeout=1)  # long enough to start; it then waits on the row lock
        assert others[0].is_alive()
        return real(draft, *args)

    monkeypatch.setattr(users, "_patched", meanwhile)
    op = {"op": "replace", "path": "title", "value": "Boss"}
    response = scim.patch(f"Users/{user['id']}", patch_body(op))
    others[0].join(timeout=30)

    assert response.status_code == 200 and response.get_json()["meta"]["version"] == 'W/"2"'
    final = scim.get(f"Users/{user['id']}").get_json()
    assert (final["title"], final["displayName"]) == ("Boss", "Ölaf Other")
    assert final["meta"]["version"] == 'W/"3"'


def _after_early_create(monkeypatch, app, job) -> list:
    """Run `job` (a writer elsewhere) between a create's early work and its write lock.

    In a thread of its own, once; returns what `job` returned.
    """
    real, done, started = users._early_create, [], []

    def overtaken(*args):
        change = real(*args)
        if not started:  # the first create only: the writer elsewhere creates too
            started.append(True)
            worker = threading.Thread(target=lambda: done.append(job()))
            worker.start()
            worker.join(timeout=30)
        return change

    monkeypatch.setattr(users, "_early_create", overtaken)
    return done


sqlite_only = pytest.mark.skipif(IS_POSTGRES, reason="PostgreSQL creates decide under the "
                                 "locks from the start: nobody overtakes them")


@sqlite_only
def test_a_create_overtaken_by_one_of_the_same_name_answers_409(app, token, scim, monkeypatch):
    other = _after_early_create(monkeypatch, app, lambda: call(
        app, token, "POST", "Users", user_body("ÉLODIE.race@example.com")))

    response = scim.post("Users", user_body("élodie.race@example.com"))

    assert other[0][0] == 201
    assert response.status_code == 409, response.get_json()
    assert response.get_json()["scimType"] == "uniqueness"
    names = db.session.execute(select(User.user_name)).scalars().all()
    assert names == ["ÉLODIE.race@example.com"]
    creates = db.session.execute(select(func.count()).select_from(ChangeRecord).where(
        ChangeRecord.action == "user.create")).scalar()
    assert creates == 1
    assert user_problems() == []


@sqlite_only
def test_a_create_whose_manager_arrives_meanwhile_is_linked(app, token, scim, monkeypatch):
    """The report, worked out with its manager pending, links the manager that arrived.

    The manager's own write could not link a report that was not yet committed.
    """
    other = _after_early_create(monkeypatch, app, lambda: call(
        app, token, "POST", "Users", user_body("Øystein.boss@example.com", **{
            "schemas": [USER_SCHEMA, ENTERPRISE], ENTERPRISE: {"employeeNumber": "E-İ7"}})))

    response = scim.post("Users", user_body("ßara.report@example.com", **{
        "schemas": [USER_SCHEMA, ENTERPRISE], ENTERPRISE: {"manager": {"value": "E-İ7"}}}))

    assert response.status_code == 201, response.get_json()
    boss = other[0][1]
    assert response.get_json()[ENTERPRISE]["manager"]["value"] == boss["id"]
    stored = db.session.execute(select(User.manager_id, User.manager_ref).where(
        User.id == response.get_json()["id"])).one()
    assert tuple(stored) == (boss["id"], None)


@sqlite_only
def test_a_patch_whose_manager_arrives_meanwhile_is_linked(app, token, scim, monkeypatch):
    report = scim.post("Users", user_body("Ærlig.report@example.com")).get_json()
    real, boss = users._patched, []

    def meanwhile(*args):
        change = real(*args)
        if not boss:  # worked out with the manager pending; the manager arrives now
            boss.append(run_together([lambda: call(app, token, "POST", "Users", user_body(
                "Ｂｏｓｓ@example.com", schemas=[USER_SCHEMA, ENTERPRISE],
                **{ENTERPRISE: {"employeeNumber": "E-ß9"}}))])[0][1])
        return change

    monkeypatch.setattr(users, "_patched", meanwhile)
    op = {"op": "add", "path": f"{ENTERPRISE}:manager", "value": {"value": "E-ß9"}}
    response = scim.patch(f"Users/{report['id']}", patch_body(op))

    assert response.status_code == 200, response.get_json()
    assert response.get_json()[ENTERPRISE]["manager"]["value"] == boss[0]["id"]


@sqlite_only
def test_a_create_kept_waiting_takes_a_seat_freed_meanwhile(app, token, scim, monkeypatch):
    seated = scim.post("Users", user_body("Ｆｕｌｌ.seat@example.com")).get_json()
    rule_changes.save({"seat_limit": 1}, CLI)
    freed = _after_early_create(monkeypatch, app, lambda: call(
        app, token, "PATCH", f"Users/{seated['id']}",
        patch_body({"op": "replace", "path": "active", "value": False})))

    response = scim.post("Users", user_body("next.seat@example.com"))

    assert freed[0][0] == 200 and freed[0][1]["active"] is False
    assert response.status_code == 201 and response.get_json()["active"] is True
    active = db.session.execute(select(func.count()).select_from(User).where(
        User.active.is_(True))).scalar()
    assert active == 1


def _rename(app, user_id: str, name: str) -> None:
    """A writer elsewhere: its own connection, reading the row FOR UPDATE as a writer must."""
    with app.app_context(), db.engine.begin() as conn:
        current = conn.execute(select(User.version, User.data).where(User.id == user_id)
                               .with_for_update()).one()
        conn.execute(update(User).where(User.id == user_id).values(
            version=current.version + 1, display_name=name,
            data={**current.data, "displayName": name}))
