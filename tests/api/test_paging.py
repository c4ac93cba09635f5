"""Walking /Users and /Groups page by page (RFC 7644 §3.4.2.4), with the listing's hints on."""

import pytest
from sqlalchemy import select

from models import Group
from models import User
from models import db
from services.resources import listing
from tests.conftest import user_body

GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


@pytest.fixture(autouse=True)
def _hint_from_the_second_page(monkeypatch):
    monkeypatch.setattr(listing, "MIN_SKIP", 0)


@pytest.fixture
def people(scim):
    names = [f"p{i:02d}@example.com" for i in range(30)]
    for name in names:
        assert scim.post("Users", user_body(name)).status_code == 201
    return names


def walk(scim, path: str, count: int) -> tuple[list[str], set[int]]:
    """Every page from startIndex 1 on: (the resources' ids, the totals seen)."""
    ids, totals, start = [], set(), 1
    while True:
        body = scim.get(f"{path}?startIndex={start}&count={count}").get_json()
        totals.add(body["totalResults"])
        assert body["startIndex"] == start
        assert body["itemsPerPage"] == len(body["Resources"])
        if not body["Resources"]:
            return ids, totals
        ids += [r["id"] for r in body["Resources"]]
        start += count


def in_order(model) -> list[str]:
    db.session.rollback()
    visible = [model.hidden.is_(False)] if model is User else []
    stmt = select(model.id).where(*visible).order_by(model.created, model.id)
    return list(db.session.execute(stmt).scalars())


@pytest.mark.parametrize("count", [1, 7, 30, 100])
def test_walks_see_everyone_once(scim, people, count):
    everyone = in_order(User)
    for _ in range(2):  # the second walk follows the first one's hints
        assert walk(scim, "Users", count) == (everyone, {30})


def test_each_page_is_the_offset_page_while_users_come_and_go(scim, people):
    for start in range(1, 31, 5):
        scim.get(f"Users?startIndex={start}&count=5")
    start, n = 1, 0
    while start <= 30:
        if n % 2:
            scim.post("Users", user_body(f"new{n}@example.com"))
        else:
            scim.delete(f"Users/{in_order(User)[n]}")
        body = scim.get(f"Users?startIndex={start}&count=5").get_json()
        assert [r["id"] for r in body["Resources"]] == in_order(User)[start - 1:start + 4]
        if start == 1:
            assert body["totalResults"] == len(in_order(User))
        start, n = start + 5, n + 1


def test_projection_applies_to_every_page(scim, people):
    body = scim.get("Users?startIndex=11&count=5&attributes=userName").get_json()
    assert [set(r) for r in body["Resources"]] == [{"schemas", "id", "userName"}] * 5
    assert [r["userName"] for r in body["Resources"]] == people[10:15]


def test_groups_walk(scim, people):
    for i in range(12):
        assert scim.post("Groups", {"schemas": [GROUP], "displayName": f"g{i:02d}"}
                         ).status_code == 201
    everyone = in_order(Group)
    for _ in range(2):
        assert walk(scim, "Groups", 5) == (everyone, {12})
