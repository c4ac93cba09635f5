"""services.resources.listing: hinted pages are the pages OFFSET gives, and page 1's count is exact."""

import pytest
from sqlalchemy import func
from sqlalchemy import select

from models import Group
from models import User
from models import db
from services import groups
from services import rules
from services import users
from services.actor import CLI
from services.audit import chain as audit_chain
from services.resources import listing
from tests.conftest import make_app
from tests.conftest import user_body
from tests.sql import statements

GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
STARTS = range(1, 24, 5)


@pytest.fixture(autouse=True)
def _hint_from_the_second_page(monkeypatch):
    """In production hints start past MIN_SKIP rows; here they start on page 2."""
    monkeypatch.setattr(listing, "MIN_SKIP", 0)


@pytest.fixture
def people(scim):
    ids = []
    for i in range(23):
        response = scim.post("Users", user_body(f"u{i:02d}@example.com"))
        assert response.status_code == 201
        ids.append(response.get_json()["id"])
    return ids


def search(start, count=5, **params):
    db.session.rollback()  # a fresh snapshot, as each request has
    total, rows = users.search(users.Search(start_index=start, count=count, **params))
    return total, [row.id for row in rows]


def by_offset(start, count=5, model=User):
    db.session.rollback()
    visible = [model.hidden.is_(False)] if model is User else []
    ids = (select(model.id).where(*visible).order_by(model.created, model.id)
           .offset(start - 1).limit(count))
    total = select(func.count()).select_from(model).where(*visible)
    return db.session.execute(total).scalar(), list(db.session.execute(ids).scalars())


def selects(seen: list[str]) -> list[str]:
    return [" ".join(s.split()).lower() for s in seen if s.lstrip().upper().startswith("SELECT")]


def test_a_second_walk_seeks_and_counts_nothing(people):
    first = [search(s) for s in STARTS]
    with statements() as seen:
        second = [search(s) for s in STARTS]
    sql = selects(seen)
    assert first == second == [by_offset(s) for s in STARTS]
    # One statement a page: no count (the stamp vouches for it), no rows skipped.
    assert len(sql) == len(STARTS)
    assert not any(s.startswith("select count(") for s in sql)
    assert not any("users.id in (select" in s for s in sql)  # the OFFSET path


def _create(scim, people):
    scim.post("Users", user_body("late@example.com"))


def _delete_first(scim, people):
    scim.delete(f"Users/{people[0]}")


def _hide_one(scim, people):
    rules.save({"delete_mode": "deactivate"}, CLI)
    scim.delete(f"Users/{people[7]}")


def _replace(scim, people):
    scim.put(f"Users/{people[3]}", user_body("u03@example.com", title="Boss"))


def _seal(scim, people):
    audit_chain.seal(db.engine, wait=True)


def _new_group(scim, people):
    scim.post("Groups", {"schemas": [GROUP], "displayName": "G",
                         "members": [{"value": people[1]}]})


@pytest.mark.parametrize("write", [_create, _delete_first, _hide_one, _replace, _seal,
                                   _new_group])
def test_pages_after_a_write_are_the_offset_pages(scim, people, write):
    for start in STARTS:
        search(start)
    write(scim, people)
    for start in [*STARTS, 2, 9, 24]:
        total, ids = search(start)
        expected_total, expected_ids = by_offset(start)
        assert ids == expected_ids
        if start == 1:
            assert total == expected_total


def test_a_user_shown_again_takes_its_old_place(scim, people):
    rules.save({"delete_mode": "deactivate"}, CLI)
    scim.delete(f"Users/{people[2]}")
    for start in STARTS:
        search(start)
    assert scim.post("Users", user_body("u02@example.com")).status_code in (200, 201)
    for start in STARTS:
        assert search(start)[1] == by_offset(start)[1]
    assert people[2] in search(1)[1]


def test_later_pages_may_show_a_count_a_few_seconds_old(scim, people, monkeypatch):
    search(1)
    search(6)
    scim.delete(f"Users/{people[0]}")
    assert search(6)[0] == 23  # RFC 7644 §3.4.2.4: pages need not agree
    assert search(1)[0] == 22  # page 1 never is
    monkeypatch.setattr(listing, "COUNT_TTL", 0.0)
    scim.delete(f"Users/{people[1]}")
    assert search(6)[0] == 21


def test_the_last_page_counts_from_its_rows(people):
    search(1)
    with statements() as seen:
        found = search(21)
    sql = selects(seen)
    assert found == by_offset(21)
    assert not any(s.startswith("select count(") for s in sql)


def test_sorted_pages_use_offset(people):
    pages = [search(s, sort_by="userName", descending=True) for s in STARTS]
    names = sorted((f"u{i:02d}@example.com", i) for i in range(23))[::-1]
    assert [i for _, ids in pages for i in ids] == [people[i] for _, i in names]


def test_each_filter_has_its_own_hints(people):
    tens = [search(s, count=3, filter='userName sw "u1"') for s in (1, 4, 7, 10)]
    everyone = [search(s, count=3) for s in (1, 4, 7, 10)]
    assert [i for _, ids in tens for i in ids] == people[10:20]
    assert [i for _, ids in everyone for i in ids] == people[:12]
    assert tens[0][0] == 10 and everyone[0][0] == 23


def test_groups_page_the_same_way(scim, people):
    for i in range(12):
        scim.post("Groups", {"schemas": [GROUP], "displayName": f"g{i:02d}"})

    def page(start):
        db.session.rollback()
        total, rows = groups.search(users.Search(start_index=start, count=5))
        return total, [row.id for row in rows]

    first = [page(s) for s in (1, 6, 11)]
    scim.post("Groups", {"schemas": [GROUP], "displayName": "late"})
    second = [page(s) for s in (1, 6, 11)]
    assert [ids for _, ids in first[:2]] == [ids for _, ids in second[:2]]
    assert second == [by_offset(s, model=Group) for s in (1, 6, 11)]


def test_nothing_is_remembered_while_many_records_wait_for_the_sealer(people, monkeypatch):
    monkeypatch.setattr(listing, "UNSEALED_CAP", 0)
    search(1)
    with statements() as seen:
        found = search(1)
    sql = selects(seen)
    assert found == by_offset(1)
    assert any(s.startswith("select count(") for s in sql)


def test_each_database_has_its_own_memory(app, tmp_path):
    mine = listing._memory()
    (tmp_path / "other").mkdir()
    other = make_app(tmp_path / "other")
    with other.app_context():
        assert listing._memory() is not mine
        db.engine.dispose()
