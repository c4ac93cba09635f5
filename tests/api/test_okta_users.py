"""Okta's user provisioning habits: startIndex/count test connection, PUT for updates."""


def okta_user(user_name="isaac.brock@example.com", **extra):
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "name": {"givenName": "Isaac", "familyName": "Brock"},
        "emails": [{"primary": True, "value": user_name, "type": "work"}],
        "displayName": "Isaac Brock",
        "locale": "en-US",
        "externalId": "00ujl29u0le5T6Aj10h7",
        "groups": [],
        "password": "1mz050nq",
        "active": True,
    }
    body.update(extra)
    return body


def test_test_connection_pages_users(scim):
    response = scim.get("Users?startIndex=1&count=2")
    assert response.status_code == 200
    body = response.get_json()
    assert body["totalResults"] == 0 and body["itemsPerPage"] == 0


def test_create_never_returns_password(scim):
    response = scim.post("Users", okta_user())
    assert response.status_code == 201
    body = response.get_json()
    assert "password" not in body
    assert "1mz050nq" not in response.get_data(as_text=True)
    assert "1mz050nq" not in scim.get(f"Users/{body['id']}").get_data(as_text=True)


def test_put_without_active_keeps_user_active(scim):
    created = scim.post("Users", okta_user()).get_json()
    update = okta_user(displayName="Isaac B.")
    del update["active"]
    response = scim.put(f"Users/{created['id']}", update)
    assert response.status_code == 200
    body = response.get_json()
    assert body["active"] is True
    assert body["displayName"] == "Isaac B."


def test_put_replaces_attributes(scim):
    created = scim.post("Users", okta_user(title="Engineer")).get_json()
    response = scim.put(f"Users/{created['id']}", okta_user(active=False))
    body = response.get_json()
    assert "title" not in body
    assert body["active"] is False
    assert body["id"] == created["id"]
    assert body["meta"]["created"] == created["meta"]["created"]


def test_put_to_a_taken_username_is_409(scim):
    scim.post("Users", okta_user("a@example.com"))
    other = scim.post("Users", okta_user("b@example.com")).get_json()
    response = scim.put(f"Users/{other['id']}", okta_user("A@example.com"))
    assert response.status_code == 409
    assert scim.get(f"Users/{other['id']}").get_json()["userName"] == "b@example.com"


def test_okta_deactivate_with_patch(scim):
    created = scim.post("Users", okta_user()).get_json()
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "value": {"active": False}}]}
    assert scim.patch(f"Users/{created['id']}", body).get_json()["active"] is False
