"""Cursor paging (RFC 9865) on /Users, /Groups and their .search, through HTTP."""

import time
from types import SimpleNamespace
from urllib.parse import quote

import pytest

from services import custom_fields
from services.actor import CLI
from services.resources import cursor_pages
from tests.conftest import user_body

GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
CUSTOM = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"
NAMES = ["Ørjan", "Élodie", "İlkay", "Straße", "Ｆｕｌｌ", "ann", "Bob", "cléo", "Dée", "eve",
         "Zoë"]


@pytest.fixture
def people(scim):
    ids = []
    for i, name in enumerate(NAMES):
        body = user_body(f"{name.lower()}{i}@example.com", displayName=name)
        response = scim.post("Users", body)
        assert response.status_code == 201, response.get_json()
        ids.append(response.get_json()["id"])
    return ids


def walk(scim, path: str, count: int, extra: str = "") -> list[list[str]]:
    """Every page from the empty cursor on, following nextCursor: the ids of each page."""
    pages, cursor = [], ""
    while True:
        body = scim.get(f"{path}?cursor={quote(cursor)}&count={count}{extra}").get_json()
        assert "Resources" in body, body
        assert "startIndex" not in body
        assert body["itemsPerPage"] == len(body["Resources"])
        pages.append([r["id"] for r in body["Resources"]])
        if "nextCursor" not in body:
            return pages
        cursor = body["nextCursor"]


@pytest.mark.parametrize("count", [1, 3, 11, 50])
def test_a_walk_sees_everyone_once_in_creation_order(scim, people, count):
    pages = walk(scim, "Users", count)
    assert [i for page in pages for i in page] == people
    assert all(len(page) == count for page in pages[:-1])


def test_the_first_page_says_the_total_and_the_last_page_has_no_next(scim, people):
    first = scim.get("Users?cursor=&count=4").get_json()
    assert first["totalResults"] == len(people)
    assert "previousCursor" not in first
    assert first["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    pages = walk(scim, "Users", 4)
    assert [len(p) for p in pages] == [4, 4, 3]


def test_creates_and_deletes_during_a_walk_skip_and_repeat_nobody(scim, people):
    body = scim.get("Users?cursor=&count=4").get_json()
    seen = [r["id"] for r in body["Resources"]]
    # Delete two people already seen and one not yet seen; add two newcomers.
    for gone in (people[0], people[1], people[6]):
        assert scim.delete(f"Users/{gone}").status_code == 204
    newcomers = [scim.post("Users", user_body(f"new{i}@example.com")).get_json()["id"]
                 for i in range(2)]
    cursor = body["nextCursor"]
    while cursor:
        body = scim.get(f"Users?cursor={cursor}&count=4").get_json()
        seen += [r["id"] for r in body["Resources"]]
        cursor = body.get("nextCursor")
    expected = people[:4] + [p for p in people[4:] if p != people[6]] + newcomers
    assert seen == expected
    assert len(seen) == len(set(seen))


def test_previous_cursor_walks_back_to_the_same_pages(scim, people):
    forward, cursor, bodies = [], "", []
    while cursor is not None:
        body = scim.get(f"Users?cursor={cursor}&count=3").get_json()
        bodies.append(body)
        forward.append([r["id"] for r in body["Resources"]])
        cursor = body.get("nextCursor")
    back, body = [], bodies[-1]
    while "previousCursor" in body:
        body = scim.get(f"Users?cursor={body['previousCursor']}&count=3").get_json()
        back.append([r["id"] for r in body["Resources"]])
    assert back == forward[-2::-1]
    assert "nextCursor" in body  # the first page, reached backwards, still leads on


def test_sorted_walks_follow_sort_by_with_ties_and_nulls(scim, people):
    no_name = scim.post("Users", user_body("zz-noname@example.com")).get_json()["id"]
    twin = scim.post("Users", user_body("twin@example.com", displayName="ann")).get_json()["id"]
    for order in ("ascending", "descending"):
        listed = scim.get(f"Users?sortBy=displayName&sortOrder={order}&count=100").get_json()
        expected = [r["id"] for r in listed["Resources"]]
        for count in (1, 2, 5):
            pages = walk(scim, "Users", count, f"&sortBy=displayName&sortOrder={order}")
            assert [i for page in pages for i in page] == expected
    assert no_name in expected and twin in expected


def test_post_search_takes_cursor_and_count_in_the_body(scim, people):
    search = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
              "cursor": "", "count": 5}
    first = scim.post("Users/.search", search).get_json()
    second = scim.post("Users/.search", {"cursor": first["nextCursor"], "count": 5}).get_json()
    ids = [r["id"] for r in first["Resources"] + second["Resources"]]
    assert ids == people[:10]


def test_groups_page_by_cursor_too(scim):
    ids = [scim.post("Groups", {"schemas": [GROUP], "displayName": f"Grüppe {i}"}).get_json()["id"]
           for i in range(7)]
    pages = walk(scim, "Groups", 3)
    assert [i for page in pages for i in page] == ids
    found = scim.get('Groups?filter=displayName eq "Grüppe 3"&cursor=').get_json()
    assert [r["id"] for r in found["Resources"]] == [ids[3]]
    assert "nextCursor" not in found


def test_a_filtered_walk_keeps_to_its_filter(scim, people):
    pages = walk(scim, "Users", 2, '&filter=displayName sw "e"')
    seen = [i for page in pages for i in page]
    expected = [people[i] for i, n in enumerate(NAMES) if n.lower().startswith("e")]
    assert seen == expected


@pytest.mark.parametrize("bad", ["nonsense", "abc.def", "Zm9v", "a.b.c", "%E2%82%AC"])
def test_a_cursor_we_did_not_issue_is_invalid_cursor(scim, people, bad):
    response = scim.get(f"Users?cursor={bad}")
    assert response.status_code == 400
    assert response.get_json()["scimType"] == "invalidCursor"


def test_a_tampered_cursor_is_invalid_cursor(scim, people):
    cursor = scim.get("Users?cursor=&count=2").get_json()["nextCursor"]
    body, mac = cursor.split(".")
    flipped = body[:-1] + ("A" if body[-1] != "A" else "B")
    response = scim.get(f"Users?cursor={flipped}.{mac}")
    assert response.status_code == 400
    assert response.get_json()["scimType"] == "invalidCursor"


def test_a_cursor_from_another_query_is_invalid_cursor(scim, people):
    cursor = scim.get("Users?cursor=&count=2").get_json()["nextCursor"]
    others = ("Groups?cursor=", "Users?sortBy=userName&cursor=",
              "Users?filter=active eq true&cursor=")
    for other in others:
        response = scim.get(other + cursor)
        assert response.status_code == 400, other
        assert response.get_json()["scimType"] == "invalidCursor"
    assert scim.get(f"Users?cursor={cursor}&count=7").status_code == 200  # count may change


def test_an_old_cursor_is_expired_cursor(scim, people, monkeypatch):
    cursor = scim.get("Users?cursor=&count=2").get_json()["nextCursor"]
    later = time.time() + 601
    monkeypatch.setattr(cursor_pages, "time", SimpleNamespace(time=lambda: later))
    response = scim.get(f"Users?cursor={cursor}")
    assert response.status_code == 400
    body = response.get_json()
    assert body["scimType"] == "expiredCursor"
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]


def test_cursor_with_start_index_is_refused(scim, people):
    response = scim.get("Users?cursor=&startIndex=1")
    assert response.status_code == 400
    assert response.get_json()["scimType"] == "invalidValue"
    response = scim.post("Groups/.search", {"cursor": "", "startIndex": 3})
    assert response.status_code == 400


def test_count_zero_gives_the_total_only(scim, people):
    body = scim.get("Users?cursor=&count=0").get_json()
    assert body["totalResults"] == len(people)
    assert body["Resources"] == [] and "nextCursor" not in body


def test_index_paging_is_unchanged_without_cursor(scim, people):
    body = scim.get("Users?startIndex=3&count=2").get_json()
    assert body["startIndex"] == 3
    assert "nextCursor" not in body
    assert [r["id"] for r in body["Resources"]] == people[2:4]


def test_service_provider_config_describes_pagination(scim, app):
    pagination = scim.get("ServiceProviderConfig").get_json()["pagination"]
    assert pagination == {"cursor": True, "index": True, "defaultPaginationMethod": "index",
                          "defaultPageSize": app.config["SCIM_DEFAULT_COUNT"],
                          "maxPageSize": app.config["SCIM_MAX_RESULTS"],
                          "cursorTimeout": app.config["SCIM_CURSOR_TIMEOUT"]}


@pytest.mark.parametrize("sort_by", ["meta.lastModified", f"{CUSTOM}:score", f"{CUSTOM}:since",
                                     "active", "name.familyName"])
def test_sorted_walks_on_typed_keys(scim, sort_by):
    custom_fields.define("score", "decimal", False, "a decimal", CLI)
    custom_fields.define("since", "dateTime", False, "a date", CLI)
    for i, (score, since) in enumerate([(1.5, "2020-01-01T00:00:00Z"), (None, None),
                                        (-2, "2019-05-06T07:08:09Z"), (1.5, None), (10, None)]):
        extra = {k: v for k, v in (("score", score), ("since", since)) if v is not None}
        body = user_body(f"typed{i}@example.com", name={"familyName": "Ñ" * (i % 3)},
                         active=i % 2 == 0, **({CUSTOM: extra} if extra else {}))
        body["schemas"] = [*body.get("schemas", []), CUSTOM] if extra else body.get("schemas")
        assert scim.post("Users", body).status_code == 201
    for order in ("ascending", "descending"):
        query = f"&sortBy={sort_by}&sortOrder={order}"
        listed = scim.get(f"Users?count=100{query}").get_json()
        assert listed["totalResults"] == 5
        expected = [r["id"] for r in listed["Resources"]]
        for count in (1, 2):
            pages = walk(scim, "Users", count, query)
            assert [i for page in pages for i in page] == expected
