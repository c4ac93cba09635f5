"""Cross-row rules under concurrent writers, against a live server (two gunicorn workers).

Each test releases CLIENTS requests at once, for ROUNDS rounds, and then checks the exact
invariant in the tables: exactly N active under a seat limit of N, exactly one holder of a
work email, no reference to a deleted manager, no lost group member, one user per userName
whatever its case. The rules and their locks: services/users/rules.py and write.py.
"""

from collections import Counter

import pytest
from sqlalchemy import func
from sqlalchemy import select

from models import GroupMember
from models import User
from models import UserValue
from models import db
from scim.schema import ENTERPRISE
from tests.hardening.support import USER_SCHEMA
from tests.hardening.support import patch_body
from tests.hardening.support import run_together
from tests.hardening.support import user_body
from tests.hardening.support import user_problems

pytestmark = pytest.mark.slow

CLIENTS = 8
ROUNDS = 3
SEATS = 3
BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
NAMES = ("Øyvind", "Élise", "Strauß", "Ærlig", "Ñandú", "Ødegård", "Émile", "Weiß")


def user_name(round_: int, i: int) -> str:
    return f"{NAMES[i % len(NAMES)]}.{round_}.{i}@example.com"


def fresh():
    db.session.remove()
    return db.session


def active_count() -> int:
    return fresh().execute(select(func.count()).select_from(User).where(
        User.active.is_(True), User.hidden.is_(False))).scalar()


def job(http, method: str, path: str, body: dict | None = None):
    """One request, to be sent by run_together: (status, headers, body)."""
    return lambda: http.call(method, path, body)


def create(http, name: str, **extra) -> dict:
    status, _, body = http.call("POST", "/scim/v2/Users", user_body(name, **extra))
    assert status == 201, body
    return body


def replace(path, value):
    return {"op": "replace", "path": path, "value": value}


def deactivate_all(http) -> None:
    """Free every seat for the next round (one client, no race)."""
    for user_id in fresh().execute(select(User.id).where(User.active.is_(True))).scalars():
        status, _, body = http.call("PATCH", f"/scim/v2/Users/{user_id}",
                                    patch_body(replace("active", False)))
        assert status == 200, body


def statuses(results) -> Counter:
    return Counter(result[0] if isinstance(result, tuple) else repr(result)
                   for result in results)


def test_seat_limit_on_create_leaves_exactly_n_active(live):
    http = live(seat_limit=SEATS)
    for round_ in range(ROUNDS):
        results = run_together([
            job(http, "POST", "/scim/v2/Users", user_body(user_name(round_, i)))
            for i in range(CLIENTS)])
        assert statuses(results) == {201: CLIENTS}, results
        assert active_count() == SEATS
        waiting = [body for _, _, body in results if body["active"] is False]
        assert len(waiting) == CLIENTS - SEATS
        deactivate_all(http)
    assert user_problems() == []


def test_seat_limit_on_patch_leaves_exactly_n_active(live):
    http = live(seat_limit=SEATS)
    for round_ in range(ROUNDS):
        ids = [create(http, user_name(round_, i), active=False)["id"] for i in range(CLIENTS)]
        results = run_together([
            job(http, "PATCH", f"/scim/v2/Users/{user_id}", patch_body(replace("active", True)))
            for user_id in ids])
        assert statuses(results) == {200: CLIENTS}, results
        assert active_count() == SEATS
        deactivate_all(http)
    assert user_problems() == []


def ascii_upper(text: str) -> str:
    """Upper case for ASCII letters only.

    SQLite's lower() folds nothing else, and folding Ø, É or ß is the normalised key's
    concern, not these rules'.
    """
    return "".join(c.upper() if c.isascii() else c for c in text)


def ascii_lower(text: str) -> str:
    return "".join(c.lower() if c.isascii() else c for c in text)


def holders(email: str) -> list[str]:
    stmt = select(UserValue.user_id).where(UserValue.attr == "emails",
                                           func.lower(UserValue.value) == email.lower())
    return list(fresh().execute(stmt).scalars())


def test_email_matching_gives_a_work_email_one_holder_on_create(live):
    http = live(matching_attribute="email")
    for round_ in range(ROUNDS):
        email = f"Søren.{round_}@Example.com"
        variants = [email, ascii_upper(email), ascii_lower(email)]
        results = run_together([
            job(http, "POST", "/scim/v2/Users", user_body(
                user_name(round_, i), emails=[{"value": variants[i % 3], "type": "work"}]))
            for i in range(CLIENTS)])
        assert statuses(results) == {201: 1, 409: CLIENTS - 1}, results
        assert len(holders(email)) == 1
    assert user_problems() == []


def test_email_matching_gives_a_work_email_one_holder_on_patch(live):
    http = live(matching_attribute="email")
    for round_ in range(ROUNDS):
        ids = [create(http, user_name(round_, i))["id"] for i in range(CLIENTS)]
        email = f"ærlig.{round_}@Example.com"  # lower-case Æ: see ascii_upper
        change = patch_body(replace('emails[type eq "work"].value', email))
        results = run_together([
            job(http, "PATCH", f"/scim/v2/Users/{user_id}", change) for user_id in ids])
        assert statuses(results) == {200: 1, 409: CLIENTS - 1}, results
        assert all(body["scimType"] == "uniqueness" for status, _, body in results
                   if status == 409)
        assert len(holders(email)) == 1
    assert user_problems() == []


def test_a_manager_deleted_during_patches_leaves_no_dangling_reference(live):
    http = live()
    reports = CLIENTS - 2
    for round_ in range(ROUNDS):
        boss = create(http, f"Boß.{round_}@example.com")["id"]
        ids = [create(http, user_name(round_, i))["id"] for i in range(reports)]
        manager = patch_body(replace(f"{ENTERPRISE}:manager", {"value": boss}))
        jobs = [job(http, "PATCH", f"/scim/v2/Users/{user_id}", manager) for user_id in ids]
        jobs += [job(http, "DELETE", f"/scim/v2/Users/{boss}")] * 2
        results = run_together(jobs)

        patched, deleted = results[:reports], results[reports:]
        assert sorted(status for status, _, _ in deleted) == [204, 404], deleted
        for status, _, body in patched:
            # Before the delete: 200 (the delete then clears the reference); after: 400.
            assert status in (200, 400), body
            if status == 400:
                assert body["scimType"] == "invalidValue" and boss in body["detail"]
        users = fresh().execute(select(User.id, User.manager_id, User.data)).all()
        present = {user_id for user_id, _, _ in users}
        for user_id, manager_id, data in users:
            named = ((data.get(ENTERPRISE) or {}).get("manager") or {}).get("value")
            assert named == manager_id, (user_id, named, manager_id)
            assert manager_id is None or manager_id in present
    assert user_problems() == []


def test_a_manager_arriving_among_its_reports_is_linked_to_every_one(live):
    """HR feeds send reports and their manager in any order, here all at once.

    Each report names the manager by employeeNumber, in a POST of its own or in a /Bulk
    run; whichever write commits second links them (services/users/managers.py), so none
    is left pending once the manager exists.
    """
    http = live()
    singles = CLIENTS - 2
    for round_ in range(ROUNDS):
        number = f"E-Ø{round_}"

        def report(i, round_=round_, number=number):
            return user_body(user_name(round_, i), schemas=[USER_SCHEMA, ENTERPRISE],
                             **{ENTERPRISE: {"manager": {"value": number}}})

        bulk = {"schemas": [BULK], "Operations": [
            {"method": "POST", "path": "/Users", "bulkId": f"r{i}", "data": report(i)}
            for i in range(singles, singles + 2)]}
        jobs = [job(http, "POST", "/scim/v2/Users", report(i)) for i in range(singles)]
        jobs.append(job(http, "POST", "/scim/v2/Bulk", bulk))
        jobs.append(job(http, "POST", "/scim/v2/Users", user_body(
            f"Chef.{round_}@exämple.com", schemas=[USER_SCHEMA, ENTERPRISE],
            **{ENTERPRISE: {"employeeNumber": number}})))
        results = run_together(jobs)

        assert statuses(results) == {201: singles + 1, 200: 1}, results
        in_bulk = results[singles][2]["Operations"]
        assert [op["status"] for op in in_bulk] == ["201", "201"], in_bulk
        boss = results[-1][2]["id"]
        ids = [body["id"] for _, _, body in results[:singles]]
        ids += [op["location"].rsplit("/", 1)[1] for op in in_bulk]
        linked = fresh().execute(select(User.manager_id, User.manager_ref).where(
            User.id.in_(ids))).all()
        assert Counter(map(tuple, linked)) == {(boss, None): singles + 2}
    assert user_problems() == []


def test_concurrent_member_adds_and_removes_lose_no_member(live):
    http = live()
    status, _, group = http.call("POST", "/scim/v2/Groups", {"displayName": "Ærø Team"})
    assert status == 201, group
    expected: set[str] = set()
    for round_ in range(ROUNDS):
        ids = [create(http, user_name(round_, i))["id"] for i in range(CLIENTS)]
        leaving = sorted(expected)[:CLIENTS // 2]
        joining = ids[:CLIENTS - len(leaving)]
        path = f"/scim/v2/Groups/{group['id']}"
        jobs = [job(http, "PATCH", path, patch_body(
            {"op": "add", "path": "members", "value": [{"value": user_id}]}))
            for user_id in joining]
        jobs += [job(http, "PATCH", path, patch_body(
            {"op": "remove", "path": f'members[value eq "{user_id}"]'}))
            for user_id in leaving]
        results = run_together(jobs)
        assert {status for status, _, _ in results} <= {200, 204}, results
        expected = (expected - set(leaving)) | set(joining)
        stored = fresh().execute(select(GroupMember.user_id).where(
            GroupMember.group_id == group["id"])).scalars()
        assert set(stored) == expected
        status, _, body = http.call("GET", f"/scim/v2/Groups/{group['id']}")
        assert {m["value"] for m in body.get("members", [])} == expected


def results_name(results) -> str:
    [body] = [body for status, _, body in results if status == 201]
    return body["userName"]


def test_case_variant_creates_make_one_user(live):
    http = live()
    for round_ in range(ROUNDS):
        base = f"Øyvind.Élise.Strauß.{round_}@example.com"
        variants = [base, ascii_upper(base), ascii_lower(base), base.replace("example", "EXAMPLE")]
        results = run_together([
            job(http, "POST", "/scim/v2/Users", user_body(variants[i % 4]))
            for i in range(CLIENTS)])
        assert statuses(results) == {201: 1, 409: CLIENTS - 1}, results
        names = fresh().execute(select(User.user_name)).scalars()
        assert [n for n in names if ascii_lower(n) == ascii_lower(base)] == [
            results_name(results)]
    assert user_problems() == []


def test_users_deleted_while_groups_add_them_leave_no_member_and_no_stale_group(live):
    """No deadlock, and no membership of a deleted user survives.

    DELETE locks the user's groups before the user (services/groups/members.py
    `containing`), the order of a group PATCH naming that user.
    """
    http = live()
    status, _, group = http.call("POST", "/scim/v2/Groups", {"displayName": "Ødegård Team"})
    assert status == 201, group
    path = f"/scim/v2/Groups/{group['id']}"
    for round_ in range(ROUNDS):
        ids = [create(http, user_name(round_, i))["id"] for i in range(CLIENTS // 2)]
        status, _, _ = http.call("PATCH", path, patch_body(
            {"op": "add", "path": "members", "value": [{"value": ids[0]}]}))
        assert status in (200, 204)
        jobs = [job(http, "DELETE", f"/scim/v2/Users/{user_id}") for user_id in ids]
        jobs += [job(http, "PATCH", path, patch_body(
            {"op": "add", "path": "members", "value": [{"value": user_id}]}))
            for user_id in ids]
        results = run_together(jobs)
        deleted, added = results[:len(ids)], results[len(ids):]
        assert {status for status, _, _ in deleted} == {204}, deleted
        # Before the delete: 200/204 (the delete then removes it again); after: 400.
        assert {status for status, _, _ in added} <= {200, 204, 400}, added
        assert fresh().execute(select(GroupMember.user_id).where(
            GroupMember.group_id == group["id"])).scalars().all() == []
        status, _, body = http.call("GET", path)
        assert "members" not in body
