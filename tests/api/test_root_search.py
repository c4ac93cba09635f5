"""Search across Users and Groups at the SCIM root (RFC 7644 §3.4.3, §3.4.2.1)."""

from urllib.parse import quote

import pytest

from tests.conftest import user_body

GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


@pytest.fixture
def directory(scim):
    """Users and groups created alternately: (ids in creation order, {id: kind})."""
    order, kinds = [], {}
    names = ["Ørsted", "Émile", "İpek", "Straße", "Ｆｏｏ", "Anna"]
    for i, name in enumerate(names):
        user = scim.post("Users", user_body(f"u{i}@example.com", displayName=name)).get_json()
        group = scim.post("Groups", {"schemas": [GROUP], "displayName": f"{name} team",
                                     "members": [{"value": user["id"]}]}).get_json()
        for resource, kind in ((user, "User"), (group, "Group")):
            order.append(resource["id"])
            kinds[resource["id"]] = kind
    return order, kinds


def ids(body) -> list[str]:
    return [r["id"] for r in body["Resources"]]


@pytest.mark.parametrize("url", ["/scim/v2/", "/scim/v2", "/scim/v2/?aadOptscim062020",
                                 "/scim/v2//?aadOptscim062020"])
def test_every_root_url_form_lists_both_types_in_creation_order(scim, directory, url):
    response = scim.get(url)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["totalResults"] == 12
    assert ids(body) == directory[0]
    for resource in body["Resources"]:
        kind = directory[1][resource["id"]]
        assert resource["schemas"][0] == (USER if kind == "User" else GROUP)
        assert resource["meta"]["resourceType"] == kind
        assert resource["meta"]["location"].endswith(f"/{kind}s/{resource['id']}")


def test_a_filter_on_a_shared_attribute_finds_both_types(scim, directory):
    body = scim.get('/scim/v2/?filter=displayName sw "Ann"').get_json()
    assert [directory[1][i] for i in ids(body)] == ["User", "Group"]
    assert body["totalResults"] == 2


def test_an_attribute_of_one_type_matches_nothing_of_the_other(scim, directory):
    body = scim.get('/scim/v2/?filter=userName eq "u2@example.com"').get_json()
    assert ids(body) == [directory[0][4]]
    user = directory[0][0]
    body = scim.get(f'/scim/v2/?filter=members.value eq "{user}"').get_json()
    assert ids(body) == [directory[0][1]]
    body = scim.get('/scim/v2/?filter=userName pr or displayName eq "Anna team"').get_json()
    assert body["totalResults"] == 7
    body = scim.get('/scim/v2/?filter=not (userName pr)').get_json()
    assert {directory[1][i] for i in ids(body)} == {"Group"}


def test_an_attribute_of_no_type_is_invalid_filter(scim, directory):
    for text in ('nosuch eq "x"', 'displayName eq "x" and nosuch pr', "bad filter ("):
        response = scim.get(f"/scim/v2/?filter={quote(text)}")
        assert response.status_code == 400, text
        assert response.get_json()["scimType"] == "invalidFilter"


def test_post_search_with_sorting_attributes_and_index_paging(scim, directory):
    body = scim.post(".search", {"schemas": [SEARCH], "sortBy": "displayName",
                                 "attributes": ["displayName"], "startIndex": 3,
                                 "count": 4}).get_json()
    everything = scim.post(".search", {"sortBy": "displayName", "count": 100}).get_json()
    names = [r["displayName"] for r in everything["Resources"]]
    assert names[:2] == ["Anna", "Anna team"]
    assert ids(body) == ids(everything)[2:6]
    assert body["startIndex"] == 3 and body["totalResults"] == 12
    assert all(set(r) == {"schemas", "id", "displayName"} for r in body["Resources"])


def test_sorting_on_an_attribute_of_one_type_puts_the_other_last(scim, directory):
    body = scim.get("/scim/v2/?sortBy=userName&count=100").get_json()
    kinds = [directory[1][i] for i in ids(body)]
    assert kinds == ["User"] * 6 + ["Group"] * 6
    body = scim.get("/scim/v2/?sortBy=userName&sortOrder=descending&count=100").get_json()
    assert [directory[1][i] for i in ids(body)] == ["Group"] * 6 + ["User"] * 6
    assert scim.get("/scim/v2/?sortBy=nosuch").status_code == 400


def test_cursor_walk_over_both_types_survives_changes(scim, directory):
    order, _ = directory
    body = scim.get("/scim/v2/?cursor=&count=5").get_json()
    seen = ids(body)
    scim.delete(f"Groups/{order[1]}")  # seen already
    scim.delete(f"Users/{order[8]}")  # not yet seen
    added = scim.post("Groups", {"schemas": [GROUP], "displayName": "Ｎｅｗ"}).get_json()["id"]
    cursor = body["nextCursor"]
    while cursor:
        body = scim.post(".search", {"cursor": cursor, "count": 5}).get_json()
        seen += ids(body)
        cursor = body.get("nextCursor")
    assert seen == [i for i in order if i != order[8]] + [added]


def test_root_cursor_is_refused_on_users(scim, directory):
    cursor = scim.get("/scim/v2/?cursor=&count=2").get_json()["nextCursor"]
    response = scim.get(f"Users?cursor={cursor}")
    assert response.status_code == 400
    assert response.get_json()["scimType"] == "invalidCursor"


def test_projection_keeps_groups_and_members_only_when_asked(scim, directory):
    body = scim.get("/scim/v2/?excludedAttributes=groups,members").get_json()
    assert not any("groups" in r or "members" in r for r in body["Resources"])
    body = scim.get("/scim/v2/?attributes=members,groups").get_json()
    kinds = {directory[1][r["id"]]: r for r in body["Resources"]}
    assert "members" in kinds["Group"] and "groups" in kinds["User"]


@pytest.mark.parametrize("sort", ["sortBy=displayName", "sortBy=displayName&sortOrder=descending",
                                  "sortBy=userName", "sortBy=userName&sortOrder=descending"])
def test_sorted_cursor_walks_match_the_sorted_list(scim, directory, sort):
    expected = ids(scim.get(f"/scim/v2/?{sort}&count=100").get_json())
    seen, cursor = [], ""
    while cursor is not None:
        body = scim.get(f"/scim/v2/?{sort}&cursor={cursor}&count=5").get_json()
        seen += ids(body)
        cursor = body.get("nextCursor")
    assert seen == expected and len(seen) == 12
