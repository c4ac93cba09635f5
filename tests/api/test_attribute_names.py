"""`attributes` and `excludedAttributes` take attribute names only (RFC 7644 §3.9, §3.10).

Malformed names are 400 invalidValue, before anything is written; well-formed names that
name no attribute select nothing (the choice is documented in scim/project.py).
"""

from urllib.parse import quote

import pytest

from tests.conftest import user_body

GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
BAD = ['emails[type eq "work"]', "emails[type", "emails]", "name.givenName.more", "a b",
       '"userName"', "userName,emails[value sw \"x\"]", "urn:x:", "."]


@pytest.fixture
def user(make_user):
    return make_user("ßøren@example.com", displayName="Søren Ø")


def assert_invalid_value(response):
    assert response.status_code == 400, response.get_data(as_text=True)
    body = response.get_json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert body["scimType"] == "invalidValue"


@pytest.mark.parametrize("name", BAD)
@pytest.mark.parametrize("param", ["attributes", "excludedAttributes"])
def test_malformed_names_are_invalid_value_everywhere(scim, user, name, param):
    query = f"{param}={quote(name)}"
    assert_invalid_value(scim.get(f"Users?{query}"))
    assert_invalid_value(scim.get(f"Users/{user['id']}?{query}"))
    assert_invalid_value(scim.get(f"Groups?{query}"))
    assert_invalid_value(scim.get(f"/scim/v2/?{query}"))
    assert_invalid_value(scim.post("Users/.search", {param: [name]}))
    assert_invalid_value(scim.post(".search", {param: [name]}))


def test_a_malformed_projection_writes_nothing(scim, user):
    patch = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations": [{"op": "replace", "path": "displayName", "value": "Änderung"}]}
    assert_invalid_value(scim.patch(f"Users/{user['id']}?attributes=emails[type", patch))
    assert_invalid_value(scim.put(f"Users/{user['id']}?attributes=a%20b",
                                  user_body(user["userName"], displayName="Änderung")))
    assert scim.get(f"Users/{user['id']}").get_json()["displayName"] == "Søren Ø"


def test_unknown_names_select_nothing(scim, user):
    only = scim.get(f"Users/{user['id']}?attributes=noSuchThing").get_json()
    assert set(only) == {"schemas", "id"}
    full = scim.get(f"Users/{user['id']}").get_json()
    assert scim.get(f"Users/{user['id']}?excludedAttributes=noSuchThing").get_json() == full
    listed = scim.get("Users?attributes=noSuchThing,displayName").get_json()["Resources"]
    assert listed == [{"schemas": full["schemas"], "id": user["id"], "displayName": "Søren Ø"}]


def test_well_formed_names_keep_working(scim, user):
    enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    names = f"userName,name.givenName,emails.value,meta.lastModified,{enterprise}:department"
    response = scim.get(f"Users/{user['id']}?attributes={names}")
    assert response.status_code == 200
    assert response.get_json()["emails"] == [{"value": "ßøren@example.com"}]
    group = scim.post("Groups", {"schemas": [GROUP], "displayName": "Ωmega",
                                 "members": [{"value": user["id"]}]}).get_json()
    shown = scim.get(f"Groups/{group['id']}?attributes=members.$ref").get_json()
    assert [set(m) for m in shown["members"]] == [{"$ref"}]
