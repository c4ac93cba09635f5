"""/Bulk user creates written in one transaction (services/users/batch.py).

The batch must be indistinguishable from running each operation alone: the main test
sends the same BulkRequest with the batch and without it (one operation per
transaction, as before) and compares what the client, the database and the audit
trail get.
"""

import json
from datetime import datetime

import pytest
from sqlalchemy import delete
from sqlalchemy import select

from models import ChangeRecord
from models import RequestLog
from models import User
from models import UserValue
from models import db
from services import rules
from services.audit import chain as audit_chain
from services.users import batch as bulk_users
from tests.api.test_bulk import ENTERPRISE
from tests.api.test_bulk import PATCH_OP
from tests.api.test_bulk import bulk
from tests.api.test_bulk import new_user
from tests.api.test_bulk import run
from tests.conftest import ADMIN
from tests.conftest import user_body


@pytest.fixture
def batches(monkeypatch):
    """The outcomes of each bulk_users.create call, to see the batch was used."""
    calls = []
    real = bulk_users.create

    def spy(bodies, actor, max_errors=None):
        outcomes = real(bodies, actor, max_errors)
        calls.append((len(bodies), outcomes))
        return outcomes

    monkeypatch.setattr(bulk_users, "create", spy)
    return calls


def mixed(ids):
    """Every way a create can end, in one request; ids: the setup's users by name."""
    return [
        new_user("a", "a@example.com", favouriteColour="teal"),  # ignored, noted
        new_user("revived", "hidden@example.com"),  # 200: revives the hidden user, alone
        new_user("bad", "bad@example.com", active="maybe"),  # 400 invalidValue
        new_user("taken", "taken@example.com"),  # 409: stored already
        new_user("a-again", "A@Example.com"),  # 409: created earlier in this request
        new_user("managed", "managed@example.com",
                 **{ENTERPRISE: {"manager": {"value": ids["boss@example.com"]}}}),
        new_user("no-boss", "no-boss@example.com",  # 201: an employeeNumber, kept pending
                 **{ENTERPRISE: {"manager": {"value": "nobody"}}}),
        new_user("ghost-boss", "ghost-boss@example.com",  # 400: an id that is no user
                 **{ENTERPRISE: {"manager": {"value": "00000000-0000-4000-8000-000000000000"}}}),
        new_user("long", "long@example.com", title="t" * 600),  # 400: users.title
        new_user("long-value", "lv@example.com",  # 400: user_values.display
                 phoneNumbers=[{"value": "1", "display": "d" * 600}]),
        new_user("accent", "Ångström@example.com"),
        new_user("accent-lower", "ångström@example.com"),  # 409: one key (scim/casefold.py)
        {"method": "PATCH", "path": "/Users/bulkId:a", "data": {
            "schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title",
                                                   "value": "Lead"}]}},
        new_user("z", "z@example.com", active=False, title="Zed"),
        new_user("bad-again", "bad@example.com"),  # the failed name is free
    ]


MIXED = [("a", "201"), ("revived", "200"), ("bad", "400"), ("taken", "409"),
         ("a-again", "409"), ("managed", "201"), ("no-boss", "201"), ("ghost-boss", "400"),
         ("long", "400"),
         ("long-value", "400"), ("accent", "201"), ("accent-lower", "409"), (None, "200"),
         ("z", "201"), ("bad-again", "201")]
# With unknown attributes rejected, `a` fails: its name stays free, the PATCH of it fails.
REJECTED = [(b, {"a": "400", "a-again": "201", None: "409"}.get(b, s)) for b, s in MIXED]


def seats(ids):
    return [
        new_user("s1", "s1@example.com"),  # takes the last seat
        new_user("s2", "s2@example.com"),  # waits for a seat, noted
        new_user("off", "off@example.com", active=False),  # needs no seat
        {"method": "POST", "path": "/Users", "bulkId": "no-mail",
         "data": {"userName": "s3@example.com"}},  # 400: email required
        new_user("s3", "s3@example.com"),  # waits too
    ]


SEATS = [("s1", "201"), ("s2", "201"), ("off", "201"), ("no-mail", "400"), ("s3", "201")]

SCENARIOS = {
    "mixed": ({}, mixed, {}, MIXED),
    "fail on errors": ({}, mixed, {"failOnErrors": 3}, MIXED[:5]),
    "fail on first error": ({}, mixed, {"failOnErrors": 1}, MIXED[:3]),
    "seat limit and required email": ({"seat_limit": 3, "require_email": True}, seats, {},
                                      SEATS),
    "unknown attributes rejected": ({"unknown_attributes": "reject"}, mixed, {}, REJECTED),
}


def setup_users(scim):
    """What the bulk meets: two users, and a hidden one (a DELETE in deactivate mode)."""
    mode = rules.current()["delete_mode"]
    rules.save({"delete_mode": "deactivate"}, ADMIN)
    ids = {}
    for name in ("taken@example.com", "boss@example.com", "hidden@example.com"):
        response = scim.post("Users", user_body(name))
        assert response.status_code == 201, response.get_json()
        ids[name] = response.get_json()["id"]
    assert scim.delete(f"Users/{ids['hidden@example.com']}").status_code == 204
    rules.save({"delete_mode": mode}, ADMIN)
    return ids


def snapshot(response) -> str:
    """What the client, the tables and the audit trail hold, ids replaced by names."""
    db.session.rollback()
    users = db.session.execute(select(User).order_by(User.created, User.id)).scalars().all()
    values = db.session.execute(select(UserValue).order_by(UserValue.id)).scalars().all()
    records = db.session.execute(select(ChangeRecord).order_by(ChangeRecord.id)).scalars().all()
    requests = db.session.execute(select(RequestLog).order_by(RequestLog.id)).scalars().all()
    logged, = (r for r in requests if r.path.endswith("/Bulk"))
    numbered = {r.request_id: f"<request {i}>" for i, r in enumerate(requests)}
    state = {
        "response": response,
        "users": [{c: getattr(u, c) for c in User.__table__.columns.keys()
                   if c not in ("created", "last_modified")}
                  | {"untouched": u.created == u.last_modified} for u in users],
        "values": [{c: getattr(v, c) for c in UserValue.__table__.columns.keys() if c != "id"}
                   for v in values],
        "records": [{c: getattr(r, c) for c in audit_chain.CHANGE_FIELDS
                     if c not in ("at", "request_id")} | {"request": numbered.get(r.request_id)}
                    for r in records],
        "log": {"status": logged.status, "notes": logged.notes},
    }
    text = json.dumps(state, sort_keys=True, default=str)
    for user in users:
        text = text.replace(user.id, f"<{user.user_name}>")
    return text.replace(logged.request_id, "<bulk request>")


def change_records() -> list[ChangeRecord]:
    db.session.rollback()
    return list(db.session.execute(select(ChangeRecord).order_by(ChangeRecord.id)).scalars())


def clear():
    db.session.rollback()
    for model in (UserValue, User, ChangeRecord, RequestLog):
        db.session.execute(delete(model))
    db.session.commit()


def outcome(scim, settings, operations, extra, expected):
    clear()
    rules.save(settings, ADMIN)
    ids = setup_users(scim)
    body = run(scim, bulk(*operations(ids), **extra))
    assert [(r.get("bulkId"), r["status"]) for r in body["Operations"]] == expected
    state = snapshot(body)
    rules.save({"seat_limit": None, "require_email": False, "unknown_attributes": "ignore"},
               ADMIN)
    return state


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_a_batch_is_indistinguishable_from_one_transaction_each(scim, monkeypatch, batches,
                                                                 scenario):
    settings, operations, extra, expected = SCENARIOS[scenario]
    batched = outcome(scim, settings, operations, extra, expected)
    assert batches and max(n for n, _ in batches) >= 4  # the batch did run,
    assert None not in [outcomes for _, outcomes in batches]  # without falling back
    with monkeypatch.context() as m:
        m.setattr(bulk_users, "batchable", lambda: False)
        alone = outcome(scim, settings, operations, extra, expected)
    assert batched == alone


def test_users_keep_their_request_order(scim):
    body = run(scim, bulk(*(new_user(str(i), f"u{i:02d}@example.com") for i in range(30))))
    assert {r["status"] for r in body["Operations"]} == {"201"}
    listed = scim.get("Users", query_string={"count": 50}).get_json()["Resources"]
    assert [u["userName"] for u in listed] == [f"u{i:02d}@example.com" for i in range(30)]
    created = [u["meta"]["created"] for u in listed]
    ids = [r["location"].rsplit("/", 1)[1] for r in body["Operations"]]
    assert [u["id"] for u in listed] == ids
    rows = db.session.execute(select(User.created).order_by(User.created)).scalars().all()
    assert len(set(rows)) == 30 and created == sorted(created)


def test_a_stalled_clock_still_gives_each_user_its_own_time(scim, monkeypatch):
    monkeypatch.setattr(bulk_users, "utcnow", lambda: datetime(2030, 1, 1))
    body = run(scim, bulk(*(new_user(str(i), f"u{i}@example.com") for i in range(3))))
    ids = [r["location"].rsplit("/", 1)[1] for r in body["Operations"]]
    listed = scim.get("Users").get_json()["Resources"]
    assert [u["id"] for u in listed] == ids
    assert [u["meta"]["created"] for u in listed] == [
        "2030-01-01T00:00:00.000Z", "2030-01-01T00:00:00.000Z", "2030-01-01T00:00:00.000Z"]
    rows = db.session.execute(select(User.created).order_by(User.created)).scalars().all()
    assert [r.microsecond for r in rows] == [0, 1, 2]


def test_a_created_user_is_what_a_single_post_stores(scim):
    data = {"userName": "one@example.com", "emails": [{"value": "one@example.com",
                                                       "type": "work"}],
            "name": {"givenName": "One"}, ENTERPRISE: {"department": "Sales"}}
    body = run(scim, bulk({"method": "POST", "path": "/Users", "bulkId": "1", "data": data},
                          new_user("2", "two@example.com")))
    location = body["Operations"][0]["location"]
    assert body["Operations"][0]["version"] == 'W/"1"'
    fetched = scim.get(location.removeprefix("http://localhost")).get_json()
    single = scim.post("Users", {**data, "userName": "single@example.com"}).get_json()
    for resource in (fetched, single):
        resource.pop("id"), resource.pop("meta"), resource.pop("userName")
    assert fetched == single
    assert fetched["emails"] == data["emails"] and fetched["name"] == {"givenName": "One"}
    found = scim.get("Users", query_string={"filter": 'emails[type eq "work"].value eq '
                                                      '"one@example.com"'}).get_json()
    batched_id = location.rsplit("/", 1)[1]
    assert batched_id in [r["id"] for r in found["Resources"]]  # its child rows were written


def test_change_records_are_hashed_as_single_writes_hash_them(scim, runner):
    run(scim, bulk(*(new_user(str(i), f"u{i}@example.com", title="T") for i in range(5))))
    records = [r for r in change_records() if r.resource_type == "User"]
    assert [r.action for r in records] == ["user.create"] * 5
    assert [r.resource_name for r in records] == [f"u{i}@example.com" for i in range(5)]
    for record in records:
        fields = {name: getattr(record, name) for name in audit_chain.CHANGE_FIELDS}
        assert record.content_hash == audit_chain.content_hash("changes", fields)
        assert record.changes["title"] == [None, "T"]
    db.session.rollback()  # the CLI shares this session: no stale snapshot for it
    assert runner.invoke(args=["audit", "seal"]).exit_code == 0
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output


def test_a_name_taken_after_the_check_falls_back_to_one_transaction_each(scim, make_user,
                                                                        monkeypatch):
    make_user("late@example.com")
    # A concurrent writer commits `late@` between the batch's check and its INSERT.
    monkeypatch.setattr(bulk_users, "_taken", lambda session, names: {})
    body = run(scim, bulk(new_user("1", "one@example.com"), new_user("2", "late@example.com"),
                          new_user("3", "three@example.com")))
    assert [r["status"] for r in body["Operations"]] == ["201", "409", "201"]
    assert body["Operations"][1]["response"]["scimType"] == "uniqueness"
    assert scim.get("Users").get_json()["totalResults"] == 3
    assert [r.resource_name for r in change_records() if r.action == "user.create"] == [
        "late@example.com", "one@example.com", "three@example.com"]


def test_a_failing_batch_leaves_each_operation_to_itself(scim, monkeypatch, caplog):
    def broken(self, session):
        raise RuntimeError("boom")

    monkeypatch.setattr(bulk_users._Plan, "write", broken)
    body = run(scim, bulk(new_user("1", "one@example.com"), new_user("2", "two@example.com")))
    assert [r["status"] for r in body["Operations"]] == ["201", "201"]
    assert "bulk user creates 0-1 failed" in caplog.text
    assert scim.get("Users").get_json()["totalResults"] == 2


@pytest.mark.parametrize(("rule", "expected"), [
    ({"link_on_create": True}, "201"),  # under userName matching an email links nobody
    ({"link_on_create": True, "matching_attribute": "email"}, "200"),
    ({"matching_attribute": "email"}, "409"),
])
def test_rules_that_look_at_earlier_creates_go_one_by_one(scim, make_user, batches, rule,
                                                          expected):
    rules.save(rule, ADMIN)
    make_user("old@example.com")
    body = run(scim, bulk(new_user("1", "new@example.com"),
                          new_user("2", "other@example.com", emails=[
                              {"value": "old@example.com", "type": "work"}])))
    assert batches == []
    # Linked to old@ by its email (200), or refused because the email is taken (409).
    assert [r["status"] for r in body["Operations"]] == ["201", expected]


def test_bulk_ids_of_batched_creates_resolve(scim, batches):
    body = run(scim, bulk(
        new_user("boss", "boss@example.com"),
        new_user("mate", "mate@example.com"),
        new_user("worker", "worker@example.com",
                 **{ENTERPRISE: {"manager": {"value": "bulkId:boss"}}}),
        {"method": "POST", "path": "/Groups", "bulkId": "team",
         "data": {"displayName": "Team", "members": [{"value": "bulkId:mate"}]}},
    ))
    assert [r["status"] for r in body["Operations"]] == ["201"] * 4
    assert batches[0][0] == 2  # worker names a bulkId: it ran on its own
    boss, mate = (r["location"].rsplit("/", 1)[1] for r in body["Operations"][:2])
    worker = scim.get(body["Operations"][2]["location"].removeprefix("http://localhost"))
    assert worker.get_json()[ENTERPRISE]["manager"]["value"] == boss
    team = scim.get(body["Operations"][3]["location"].removeprefix("http://localhost"))
    assert [m["value"] for m in team.get_json()["members"]] == [mate]


@pytest.mark.parametrize("app_config", [{"SCIM_BULK_MAX_OPERATIONS": 300}])
def test_long_runs_are_written_in_batches(scim, batches):
    body = run(scim, bulk(*(new_user(str(i), f"u{i}@example.com") for i in range(250))))
    assert len(body["Operations"]) == 250 and {r["status"] for r in body["Operations"]} == {"201"}
    assert [n for n, _ in batches] == [100, 100, 50]
    assert scim.get("Users").get_json()["totalResults"] == 250
