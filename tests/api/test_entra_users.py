"""Entra's whole user flow, replayed over HTTP as the provisioning service sends it.

Request shapes come from Microsoft's "Tutorial: Develop and plan provisioning for a SCIM
endpoint in Microsoft Entra ID" and "Known issues and resolutions with SCIM 2.0 protocol
compliance of the Microsoft Entra user provisioning service".
"""

import uuid

import pytest

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


def entra_create(user_name, external_id="0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"):
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "externalId": external_id,
        "userName": user_name,
        "active": True,
        "emails": [{"primary": True, "type": "work", "value": f"{user_name}@testuser.com"}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "givenName familyName", "familyName": "familyName",
                 "givenName": "givenName"},
        "roles": [],
        ENTERPRISE: {"department": "Sales", "employeeNumber": "1001"},
    }


def ops(*operations):
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


@pytest.fixture
def created(scim):
    response = scim.post("Users", entra_create("Test_User_a1"))
    assert response.status_code == 201
    return response.get_json()


def test_test_connection_finds_nobody(scim):
    guid = str(uuid.uuid4())
    response = scim.get(f"Users?filter=userName+eq+%22{guid}%22")
    assert response.status_code == 200
    assert response.content_type == "application/scim+json"
    body = response.get_json()
    assert body["schemas"] == [LIST]
    assert body["totalResults"] == 0
    assert body["Resources"] == []
    assert body["startIndex"] == 1


def test_tenant_url_with_trailing_slash_and_flag(scim):
    assert scim.get("/scim/v2//Users?aadOptscim062020&filter=userName eq \"x\"").status_code == 200
    assert scim.get("/scim/v2/Users/?aadOptscim062020").status_code == 200


def test_create_returns_201_with_id_and_location(scim):
    response = scim.post("Users", entra_create("Test_User_b2"))
    assert response.status_code == 201
    body = response.get_json()
    assert body["id"]
    assert response.headers["Location"] == body["meta"]["location"]
    assert body["meta"]["location"].endswith(f"/scim/v2/Users/{body['id']}")
    assert response.headers["ETag"] == body["meta"]["version"]
    assert body[ENTERPRISE] == {"department": "Sales", "employeeNumber": "1001"}
    assert "roles" not in body  # sent empty: unassigned
    assert body["schemas"][0] == "urn:ietf:params:scim:schemas:core:2.0:User"


def test_create_with_string_true(scim):
    body = entra_create("Test_User_c3")
    body["active"] = "True"
    response = scim.post("Users", body)
    assert response.status_code == 201
    assert response.get_json()["active"] is True


def test_create_tolerates_explicit_nulls(scim):
    body = entra_create("Test_User_nulls")
    body.update({"addresses": None, "nickName": None})
    body[ENTERPRISE]["manager"] = None
    response = scim.post("Users", body)
    assert response.status_code == 201
    assert "addresses" not in response.get_json()


def test_match_by_username_is_case_insensitive(scim, created):
    response = scim.get('Users?filter=userName eq "TEST_USER_A1"')
    body = response.get_json()
    assert body["totalResults"] == 1
    assert body["Resources"][0]["id"] == created["id"]


def test_match_by_external_id_and_work_email(scim, created):
    by_external = scim.get(f'Users?filter=externalId eq "{created["externalId"]}"').get_json()
    assert [r["id"] for r in by_external["Resources"]] == [created["id"]]
    email = 'emails[type eq "work"].value eq "test_user_a1@testuser.com"'
    by_email = scim.get(f"Users?filter={email}").get_json()
    assert [r["id"] for r in by_email["Resources"]] == [created["id"]]


def test_duplicate_create_is_409_uniqueness(scim, created):
    response = scim.post("Users", entra_create("test_user_A1"))
    assert response.status_code == 409
    body = response.get_json()
    assert body["scimType"] == "uniqueness"
    assert body["status"] == "409"
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]


def test_legacy_patch_shapes(scim, created):
    uid = created["id"]
    response = scim.patch(f"Users/{uid}", ops(
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "new@contoso.com"},
        {"op": "Replace", "path": "name.familyName", "value": "Jensen"},
        {"op": "Replace", "path": "userName", "value": "Test_User_renamed"},
        {"op": "Replace", "path": "externalId", "value": "ext-2"},
        {"op": "Replace", "path": f"{ENTERPRISE}:employeeNumber", "value": "2002"},
        {"op": "Add", "path": "nickName", "value": "Babs"},
        {"op": "Add", "path": f"{ENTERPRISE}:department", "value": "Marketing"},
    ))
    assert response.status_code == 200
    body = response.get_json()
    assert body["emails"] == [{"primary": True, "type": "work", "value": "new@contoso.com"}]
    assert body["name"]["familyName"] == "Jensen"
    assert body["name"]["givenName"] == "givenName"
    assert body["userName"] == "Test_User_renamed"
    assert body["externalId"] == "ext-2"
    assert body["nickName"] == "Babs"
    assert body[ENTERPRISE] == {"department": "Marketing", "employeeNumber": "2002"}
    found = scim.get('Users?filter=emails[type eq "work"].value eq "new@contoso.com"').get_json()
    assert found["totalResults"] == 1


def test_flag_patch_pathless_replace_with_path_keys(scim, created):
    response = scim.patch(f"Users/{created['id']}", ops(
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "b@contoso.com"},
        {"op": "replace", "value": {
            "displayName": "Barbara Jensen",
            "name.givenName": "Barbara",
            "name.familyName": "Jensen",
            f"{ENTERPRISE}:employeeNumber": "3003",
        }},
    ))
    assert response.status_code == 200
    body = response.get_json()
    assert body["displayName"] == "Barbara Jensen"
    assert body["name"] == {"formatted": "givenName familyName", "givenName": "Barbara",
                            "familyName": "Jensen"}
    assert body[ENTERPRISE]["employeeNumber"] == "3003"


def test_pathless_add_with_dotted_keys(scim, created):
    response = scim.patch(f"Users/{created['id']}", ops(
        {"op": "add", "value": {"title": "CISO", "name.formatted": "B J", "displayName": "BJ"}}))
    body = response.get_json()
    assert (body["title"], body["name"]["formatted"], body["displayName"]) == ("CISO", "B J", "BJ")


def test_filtered_paths_create_missing_entries_in_one_entry(scim, created):
    response = scim.patch(f"Users/{created['id']}", ops(
        {"op": "Add", "path": 'phoneNumbers[type eq "mobile"].value', "value": "+1 555 0100"},
        {"op": "Add", "path": 'addresses[type eq "work"].formatted', "value": "1 Main St"},
        {"op": "Add", "path": 'addresses[type eq "work"].locality', "value": "Springfield"},
        {"op": "Add", "path": 'addresses[type eq "work"].country', "value": "US"},
    ))
    assert response.status_code == 200
    body = response.get_json()
    assert body["phoneNumbers"] == [{"type": "mobile", "value": "+1 555 0100"}]
    assert body["addresses"] == [{"type": "work", "formatted": "1 Main St",
                                  "locality": "Springfield", "country": "US"}]
    found = scim.get('Users?filter=addresses[type eq "work" and country eq "US"]').get_json()
    assert found["totalResults"] == 1


def test_remove_with_value_on_filtered_sub_attribute(scim, created):
    uid = created["id"]
    scim.patch(f"Users/{uid}", ops({"op": "Add", "path": 'emails[type eq "other"].value',
                                    "value": "old@contoso.com"}))
    response = scim.patch(f"Users/{uid}", ops({"op": "Remove", "path": 'emails[type eq "other"].value',
                                               "value": "old@contoso.com"}))
    assert response.status_code == 200
    assert [e["type"] for e in response.get_json()["emails"]] == ["work"]


@pytest.mark.parametrize("value", ["False", "false", False])
def test_disable_and_enable(scim, created, value):
    uid = created["id"]
    response = scim.patch(f"Users/{uid}", ops({"op": "Replace", "path": "active", "value": value}))
    assert response.status_code == 200
    assert response.get_json()["active"] is False
    # Disabled users are still returned by GET and filters.
    assert scim.get(f"Users/{uid}").get_json()["active"] is False
    assert scim.get('Users?filter=active eq false').get_json()["totalResults"] == 1
    enable = {"op": "Replace", "path": "active", "value": "True" if value != False else True}  # noqa: E712
    assert scim.patch(f"Users/{uid}", ops(enable)).get_json()["active"] is True


def test_manager_in_its_three_forms(scim, created):
    boss = scim.post("Users", entra_create("Boss", external_id="boss")).get_json()
    uid, mid = created["id"], boss["id"]
    # Legacy: path "manager" without the URN, value a list with $ref.
    legacy = {"op": "Add", "path": "manager", "value": [{"$ref": f"http://x/Users/{mid}", "value": mid}]}
    body = scim.patch(f"Users/{uid}", ops(legacy)).get_json()
    assert body[ENTERPRISE]["manager"]["value"] == mid
    assert body[ENTERPRISE]["manager"]["$ref"].endswith(f"/Users/{mid}")
    # Entra's reference check before updating.
    check = scim.get(f'Users?filter=id eq "{uid}" and manager eq "{mid}"&attributes=id').get_json()
    assert check["totalResults"] == 1
    assert set(check["Resources"][0]) <= {"id", "schemas"}
    # Removal by value filter on the single-valued manager.
    remove = {"op": "remove", "path": f'manager[value eq "{mid}"]'}
    assert ENTERPRISE not in scim.patch(f"Users/{uid}", ops(remove)).get_json() or \
        "manager" not in scim.get(f"Users/{uid}").get_json()[ENTERPRISE]
    # Observed: a bare string id on the URN path.
    bare = {"op": "add", "path": f"{ENTERPRISE}:manager", "value": mid}
    assert scim.patch(f"Users/{uid}", ops(bare)).get_json()[ENTERPRISE]["manager"]["value"] == mid


def test_a_manager_id_must_exist(scim, created):
    """An id is Rollcall's own: one that names no user is refused.

    A value that is no id is read as an employeeNumber and kept pending
    (test_identity_managers.py).
    """
    ghost = "00000000-0000-4000-8000-000000000000"
    response = scim.patch(f"Users/{created['id']}", ops(
        {"op": "add", "path": f"{ENTERPRISE}:manager", "value": ghost}))
    assert response.status_code == 400
    assert response.get_json()["scimType"] == "invalidValue"
    assert ghost in response.get_json()["detail"]


def test_deleting_a_manager_clears_the_reference(scim, created):
    boss = scim.post("Users", entra_create("Boss2", external_id="b2")).get_json()
    scim.patch(f"Users/{created['id']}", ops(
        {"op": "add", "path": f"{ENTERPRISE}:manager", "value": boss["id"]}))
    assert scim.delete(f"Users/{boss['id']}").status_code == 204
    report = scim.get(f"Users/{created['id']}").get_json()
    assert "manager" not in report.get(ENTERPRISE, {})


def test_delete_then_404_and_empty_filter(scim, created):
    uid = created["id"]
    response = scim.delete(f"Users/{uid}")
    assert response.status_code == 204
    assert response.data == b""
    missing = scim.get(f"Users/{uid}")
    assert missing.status_code == 404
    assert missing.get_json()["status"] == "404"
    assert scim.get('Users?filter=userName eq "Test_User_a1"').get_json()["totalResults"] == 0
    assert scim.delete(f"Users/{uid}").status_code == 404
    assert scim.patch(f"Users/{uid}", ops({"op": "replace", "path": "active",
                                           "value": False})).status_code == 404


def test_failed_patch_changes_nothing(scim, created):
    uid = created["id"]
    response = scim.patch(f"Users/{uid}", ops(
        {"op": "Replace", "path": "displayName", "value": "Changed"},
        {"op": "Replace", "path": "active", "value": "maybe"},
    ))
    assert response.status_code == 400
    assert response.get_json()["scimType"] == "invalidValue"
    after = scim.get(f"Users/{uid}").get_json()
    assert "displayName" not in after
    assert after["meta"]["version"] == created["meta"]["version"]


def test_custom_extension_attribute_not_declared_is_ignored(scim, created):
    custom = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"
    response = scim.patch(f"Users/{created['id']}", ops(
        {"op": "Add", "path": f"{custom}:postalCode", "value": "12345"}))
    assert response.status_code == 200
    assert custom not in response.get_json()
