"""Users endpoint behaviour beyond the vendor flows: listing, projection, ETags, search."""

import pytest


@pytest.fixture
def people(make_user):
    return [make_user(f"user{i:02d}@example.com", displayName=f"User {i:02d}",
                      title="Engineer" if i % 2 else "Manager") for i in range(12)]


def test_paging_counts_before_paging(scim, people):
    body = scim.get("Users?startIndex=3&count=4").get_json()
    assert body["totalResults"] == 12
    assert body["startIndex"] == 3
    assert body["itemsPerPage"] == 4
    assert [r["userName"] for r in body["Resources"]] == [p["userName"] for p in people[2:6]]


def test_count_zero_and_out_of_range(scim, people):
    assert scim.get("Users?count=0").get_json()["Resources"] == []
    assert scim.get("Users?count=0").get_json()["totalResults"] == 12
    assert scim.get("Users?startIndex=100").get_json()["Resources"] == []
    assert scim.get("Users?startIndex=-5&count=1").get_json()["startIndex"] == 1


def test_count_is_capped_at_the_advertised_maximum(app, scim, people):
    app.config["SCIM_MAX_RESULTS"] = 5
    assert scim.get("Users?count=1000").get_json()["itemsPerPage"] == 5


@pytest.mark.parametrize("args", ["startIndex=x", "count=many", "sortOrder=sideways"])
def test_bad_list_parameters(scim, args):
    response = scim.get(f"Users?{args}")
    assert response.status_code == 400
    assert response.get_json()["scimType"] == "invalidValue"


def test_sort_by_and_order(scim, people):
    body = scim.get("Users?sortBy=displayName&sortOrder=descending&count=3").get_json()
    assert [r["displayName"] for r in body["Resources"]] == ["User 11", "User 10", "User 09"]


def test_filters_compile_for_all_operators(scim, people):
    cases = {
        'title eq "engineer"': 6,
        'title ne "Engineer"': 6,
        'userName co "user0"': 10,
        'userName sw "USER1"': 2,
        'userName ew "@example.com"': 12,
        'displayName gt "User 09"': 2,
        'displayName ge "User 09"': 3,
        'displayName lt "User 01"': 1,
        'displayName le "User 01"': 2,
        "nickName pr": 0,
        "title pr": 12,
        'not (title eq "Engineer")': 6,
        '(title eq "Engineer" or displayName eq "User 00") and userName co "0"': 6,
        'emails[type eq "work" and value co "user1"]': 2,
        'emails.value ew "example.com"': 12,
        'meta.created gt "2000-01-01T00:00:00Z"': 12,
        'urn:ietf:params:scim:schemas:core:2.0:User:userName eq "user00@example.com"': 1,
    }
    for text, expected in cases.items():
        body = scim.get("Users", query_string={"filter": text}).get_json()
        assert body.get("totalResults") == expected, (text, body)


@pytest.mark.parametrize("text", [
    "userName", 'userName eq', 'bogus eq "x"', 'userName eq "x" and', 'active gt true',
    'emails[type eq "work"', 'title co 5', 'meta.created gt "yesterday"', "((((",
    'name eq "x"',
])
def test_malformed_filters_are_400_invalid_filter(scim, text):
    response = scim.get("Users", query_string={"filter": text})
    assert response.status_code == 400
    assert response.get_json()["scimType"] == "invalidFilter"


def test_like_wildcards_are_literal(scim, make_user):
    make_user("50%off@example.com")
    make_user("500ff@example.com")
    body = scim.get("Users", query_string={"filter": 'userName co "50%"'}).get_json()
    assert [r["userName"] for r in body["Resources"]] == ["50%off@example.com"]


def test_attributes_and_excluded_attributes(scim, people):
    uid = people[0]["id"]
    only = scim.get(f"Users/{uid}?attributes=userName,name.givenName,meta.created").get_json()
    assert set(only) == {"schemas", "id", "userName", "meta"}
    assert set(only["meta"]) == {"created"}
    without = scim.get(f"Users/{uid}?excludedAttributes=emails,title").get_json()
    assert "emails" not in without and "title" not in without and "userName" in without
    listed = scim.get("Users?attributes=userName&count=2").get_json()["Resources"]
    assert all(set(r) == {"schemas", "id", "userName"} for r in listed)


def test_post_search(scim, people):
    response = scim.post("Users/.search", {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": 'title eq "Manager"', "attributes": ["userName"], "startIndex": 1, "count": 2})
    assert response.status_code == 200
    body = response.get_json()
    assert body["totalResults"] == 6 and body["itemsPerPage"] == 2


def test_etags(scim, people):
    uid = people[0]["id"]
    first = scim.get(f"Users/{uid}")
    etag = first.headers["ETag"]
    assert etag == 'W/"1"'
    assert scim.get(f"Users/{uid}", headers={"If-None-Match": etag}).status_code == 304
    stale = scim.patch(f"Users/{uid}", {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "title", "value": "CTO"}]},
        headers={"If-Match": 'W/"7"'})
    assert stale.status_code == 412
    fresh = scim.patch(f"Users/{uid}", {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "title", "value": "CTO"}]},
        headers={"If-Match": etag})
    assert fresh.status_code == 200
    assert fresh.headers["ETag"] == 'W/"2"'
    assert scim.delete(f"Users/{uid}", headers={"If-Match": etag}).status_code == 412


def test_full_core_and_enterprise_schema_round_trips(scim):
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "userName": "bjensen@example.com",
        "name": {"formatted": "Ms. Barbara J Jensen, III", "familyName": "Jensen",
                 "givenName": "Barbara", "middleName": "Jane", "honorificPrefix": "Ms.",
                 "honorificSuffix": "III"},
        "displayName": "Babs Jensen", "nickName": "Babs",
        "profileUrl": "https://login.example.com/bjensen", "title": "Tour Guide",
        "userType": "Employee", "preferredLanguage": "en-US", "locale": "en-US",
        "timezone": "America/Los_Angeles", "active": True,
        "emails": [{"value": "bjensen@example.com", "type": "work", "primary": True},
                   {"value": "babs@jensen.org", "type": "home"}],
        "phoneNumbers": [{"value": "555-555-5555", "type": "work"}],
        "ims": [{"value": "someaimhandle", "type": "aim"}],
        "photos": [{"value": "https://photos.example.com/profilephoto.jpg", "type": "photo"}],
        "addresses": [{"type": "work", "streetAddress": "100 Universal City Plaza",
                       "locality": "Hollywood", "region": "CA", "postalCode": "91608",
                       "country": "US", "formatted": "100 Universal City Plaza\nHollywood, CA",
                       "primary": True}],
        "entitlements": [{"value": "Guest"}], "roles": [{"value": "Tour Guide"}],
        "x509Certificates": [{"value": "MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAw"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "employeeNumber": "701984", "costCenter": "4130", "organization": "Universal Studios",
            "division": "Theme Park", "department": "Tour Operations"},
    }
    created = scim.post("Users", body).get_json()
    fetched = scim.get(f"Users/{created['id']}").get_json()
    for key, value in body.items():
        if key != "schemas":
            assert fetched[key] == value, key
    assert scim.get('Users?filter=phoneNumbers[type eq "work"].value eq "555-555-5555"'
                    ).get_json()["totalResults"] == 1
    assert scim.get('Users?filter=urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:'
                    'department eq "tour operations"').get_json()["totalResults"] == 1
    assert scim.get('Users?filter=name.middleName eq "Jane"').get_json()["totalResults"] == 1


def test_manager_filters(scim, make_user):
    boss = make_user("boss@example.com")
    report = make_user("report@example.com", **{
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "manager": {"value": boss["id"]}}})
    for text in (f'manager eq "{boss["id"]}"', f'manager.value eq "{boss["id"]}"',
                 f'manager[value eq "{boss["id"]}"]', "manager pr"):
        body = scim.get("Users", query_string={"filter": text}).get_json()
        assert [r["id"] for r in body["Resources"]] == [report["id"]], text


def test_bad_sort_by_is_invalid_value(scim):
    response = scim.get("Users?sortBy=emails[")
    assert response.status_code == 400
    assert response.get_json()["scimType"] == "invalidValue"
