"""Discovery documents tell the truth (RFC 7644 §4)."""

from scim.schema import ENTERPRISE


def test_service_provider_config(app, scim):
    body = scim.get("ServiceProviderConfig").get_json()
    assert body["patch"] == {"supported": True}
    assert body["filter"] == {"supported": True, "maxResults": app.config["SCIM_MAX_RESULTS"]}
    assert body["bulk"]["supported"] is True
    assert body["bulk"]["maxOperations"] == app.config["SCIM_BULK_MAX_OPERATIONS"]
    assert body["changePassword"] == {"supported": False}
    assert body["etag"] == {"supported": True}
    assert body["sort"] == {"supported": True}
    assert body["authenticationSchemes"][0]["type"] == "oauthbearertoken"


def test_resource_types(scim):
    body = scim.get("ResourceTypes").get_json()
    users = next(r for r in body["Resources"] if r["id"] == "User")
    assert users["endpoint"] == "/Users"
    assert users["schemaExtensions"] == [{"schema": ENTERPRISE, "required": False}]
    assert scim.get("ResourceTypes/User").get_json()["id"] == "User"
    assert scim.get("ResourceTypes/Nope").status_code == 404


def test_schemas_define_every_attribute(scim):
    body = scim.get("Schemas").get_json()
    ids = [s["id"] for s in body["Resources"]]
    assert "urn:ietf:params:scim:schemas:core:2.0:User" in ids and ENTERPRISE in ids
    user = scim.get("Schemas/urn:ietf:params:scim:schemas:core:2.0:User").get_json()
    names = {a["name"] for a in user["attributes"]}
    assert {"userName", "name", "emails", "addresses", "x509Certificates", "groups",
            "password"} <= names
    password = next(a for a in user["attributes"] if a["name"] == "password")
    assert password["returned"] == "never" and password["mutability"] == "writeOnly"
    user_name = next(a for a in user["attributes"] if a["name"] == "userName")
    assert user_name["uniqueness"] == "server" and user_name["required"] is True
    manager = next(a for a in scim.get(f"Schemas/{ENTERPRISE}").get_json()["attributes"]
                   if a["name"] == "manager")
    assert {s["name"] for s in manager["subAttributes"]} == {"value", "$ref", "displayName"}


def test_declared_custom_field_appears_at_once(runner, scim):
    result = runner.invoke(args=["custom-fields", "create", "costCode", "--type", "string",
                                 "--description", "Finance cost code"])
    assert result.exit_code == 0, result.output
    urn = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"
    custom = scim.get(f"Schemas/{urn}").get_json()
    assert [a["name"] for a in custom["attributes"]] == ["costCode"]
    assert custom["attributes"][0]["description"] == "Finance cost code"
