"""Endpoint names matched without regard to case; canonical names in Location and meta."""

import pytest

from tests.conftest import user_body
from web import canonical_scim_path

GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


@pytest.mark.parametrize("path, expected", [
    ("/scim/v2/users", "/scim/v2/Users"),
    ("/scim/v2/GROUPS/abc", "/scim/v2/Groups/abc"),
    ("/scim/v2/serviceproviderconfig", "/scim/v2/ServiceProviderConfig"),
    ("/scim/v2/resourcetypes/user", "/scim/v2/ResourceTypes/user"),
    ("/scim/v2/users/.SEARCH", "/scim/v2/Users/.search"),
    ("/scim/v2/.Search", "/scim/v2/.search"),
    ("/scim/v2/users/AbC-Ø", "/scim/v2/Users/AbC-Ø"),  # ids keep their case
    ("/scim/v2/openapi.json", "/scim/v2/openapi.json"),
    ("/admin/users", "/admin/users"),
])
def test_canonical_paths(path, expected):
    assert canonical_scim_path(path) == expected


def test_lower_case_users_create_and_read_with_canonical_locations(scim):
    created = scim.post("/scim/v2/users", user_body("zoë@example.com"))
    assert created.status_code == 201
    uid = created.get_json()["id"]
    assert created.headers["Location"].endswith(f"/scim/v2/Users/{uid}")
    assert created.get_json()["meta"]["location"] == created.headers["Location"]
    got = scim.get(f"/scim/v2/USERS/{uid}")
    assert got.status_code == 200
    assert got.get_json()["meta"]["location"].endswith(f"/scim/v2/Users/{uid}")
    listed = scim.get('/scim/v2/uSeRs?filter=userName eq "zoë@example.com"').get_json()
    assert [r["id"] for r in listed["Resources"]] == [uid]
    assert scim.post("/scim/v2/users/.SEARCH", {"count": 1}).status_code == 200


def test_upper_case_groups_and_discovery(scim):
    created = scim.post("/scim/v2/GROUPS", {"schemas": [GROUP], "displayName": "Équipe"})
    assert created.status_code == 201
    assert "/scim/v2/Groups/" in created.headers["Location"]
    spc = scim.get("/scim/v2/serviceproviderconfig")
    assert spc.status_code == 200
    assert spc.get_json()["meta"]["location"].endswith("/scim/v2/ServiceProviderConfig")
    assert scim.get("/scim/v2/schemas").status_code == 200
    assert scim.get("/scim/v2/resourcetypes").status_code == 200


def test_unknown_endpoints_stay_scim_404(scim):
    response = scim.get("/scim/v2/people")
    assert response.status_code == 404
    assert response.get_json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]


@pytest.mark.parametrize("path, expected", [
    ("/scim/v2/ostfold/users", "/scim/v2/ostfold/Users"),
    ("/scim/v2/ostfold/GROUPS/.SEARCH", "/scim/v2/ostfold/Groups/.search"),
    ("/scim/v2/ostfold/.Search", "/scim/v2/ostfold/.search"),
    ("/scim/v2/ostfold", "/scim/v2/ostfold"),
    ("/scim/v2/ostfold/users/AbC", "/scim/v2/ostfold/Users/AbC"),
])
def test_canonical_paths_under_a_directory(path, expected):
    assert canonical_scim_path(path) == expected
