"""scim.resource: POST/PUT bodies → the canonical resource dict (RFC 7643)."""

from types import SimpleNamespace

import pytest

from scim import resource
from scim import schema
from scim.errors import InvalidSyntax
from scim.errors import InvalidValue
from scim.errors import SCIMError

ENT = schema.ENTERPRISE
CUSTOM = schema.DEFAULT_CUSTOM
USER = schema.user_type()
GROUP = schema.GROUP_TYPE
CUSTOM_SCHEMA = schema.custom_schema(CUSTOM, [
    SimpleNamespace(name="costCentreCode", type="string", multi_valued=False, description=""),
    SimpleNamespace(name="badgeCount", type="integer", multi_valued=False, description=""),
    SimpleNamespace(name="tags", type="string", multi_valued=True, description=""),
])
USER_WITH_CUSTOM = schema.user_type(CUSTOM_SCHEMA)


def load(body, rtype=USER, **kw):
    return resource.load(body, rtype, **kw)


# --- whole bodies from real clients -----------------------------------------------------------

ENTRA_CREATE = {  # entra-scim.md §5, with Entra's string boolean
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENT],
    "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
    "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
    "active": "True",
    "emails": [{"primary": True, "type": "work",
                "value": "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"}],
    "meta": {"resourceType": "User"},
    "name": {"formatted": "givenName familyName", "familyName": "familyName",
             "givenName": "givenName"},
    "roles": [],
    ENT: {"department": "Sales", "employeeNumber": "E123"},
}

OKTA_CREATE = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "userName": "isaac.brock@example.com",
    "name": {"givenName": "Isaac", "familyName": "Brock"},
    "emails": [{"primary": True, "value": "isaac.brock@example.com", "type": "work"}],
    "displayName": "Isaac Brock",
    "locale": "en-US",
    "externalId": "00ujl29u0le5T6Aj10h7",
    "groups": [],
    "password": "1mz050nq",
    "active": True,
}


def test_entra_create_body():
    got, ignored = load(ENTRA_CREATE)
    assert got == {
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
        "active": True,
        "emails": [{"primary": True, "type": "work",
                    "value": "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"}],
        "name": {"formatted": "givenName familyName", "familyName": "familyName",
                 "givenName": "givenName"},
        ENT: {"department": "Sales", "employeeNumber": "E123"},
    }
    assert ignored == []


def test_okta_create_body_drops_password_and_groups():
    got, ignored = load(OKTA_CREATE)
    assert got == {
        "userName": "isaac.brock@example.com",
        "name": {"givenName": "Isaac", "familyName": "Brock"},
        "emails": [{"primary": True, "value": "isaac.brock@example.com", "type": "work"}],
        "displayName": "Isaac Brock",
        "locale": "en-US",
        "externalId": "00ujl29u0le5T6Aj10h7",
        "active": True,
    }
    assert ignored == []


def test_input_is_not_mutated():
    body = {"userName": "a", "Emails": [{"Value": "x@y", "$ref": None}], "meta": {}}
    snapshot = repr(body)
    load(body)
    assert repr(body) == snapshot


# --- table: body → canonical dict ---------------------------------------------------------------

LOADS = [
    ("case-insensitive names", {"UserName": "a", "NAME": {"Formatted": "A B", "givenname": "A"},
                                "Emails": [{"Value": "a@x", "TYPE": "work"}]},
     {"userName": "a", "name": {"formatted": "A B", "givenName": "A"},
      "emails": [{"value": "a@x", "type": "work"}]}),
    ("string booleans any case", {"userName": "a", "active": "fAlSe"},
     {"userName": "a", "active": False}),
    ("lower-case true", {"userName": "a", "active": "true"}, {"userName": "a", "active": True}),
    ("unassigned values are removed",
     {"userName": "a", "displayName": "", "nickName": None, "emails": [], "name": {},
      "addresses": [{"type": None}], ENT: {}},
     {"userName": "a"}),
    ("null sub-attributes removed",
     {"userName": "a", "name": {"givenName": None, "familyName": "B"}},
     {"userName": "a", "name": {"familyName": "B"}}),
    ("single value wrapped in a list", {"userName": "a", "emails": {"value": "a@x"}},
     {"userName": "a", "emails": [{"value": "a@x"}]}),
    ("bare string entry of a complex multi-valued attribute",
     {"userName": "a", "emails": ["a@x", {"value": "b@x", "primary": True}]},
     {"userName": "a", "emails": [{"value": "a@x"}, {"value": "b@x", "primary": True}]}),
    ("extension URN key case-insensitive", {"userName": "a", ENT.upper(): {"Department": "S"}},
     {"userName": "a", ENT: {"department": "S"}}),
    ("Entra flattened URN keys", {"userName": "a", f"{ENT}:department": "S",
                                  f"{ENT.lower()}:costCenter": "C1"},
     {"userName": "a", ENT: {"department": "S", "costCenter": "C1"}}),
    ("flattened and object merge", {"userName": "a", ENT: {"division": "D"},
                                    f"{ENT}:department": "S"},
     {"userName": "a", ENT: {"division": "D", "department": "S"}}),
    ("fully qualified core attribute", {"urn:ietf:params:scim:schemas:core:2.0:User:userName": "a"},
     {"userName": "a"}),
    ("manager as an object, $ref and displayName dropped",
     {"userName": "a", ENT: {"manager": {"value": "m1", "$ref": "../Users/m1",
                                         "displayName": "Boss"}}},
     {"userName": "a", ENT: {"manager": {"value": "m1"}}}),
    ("Entra legacy manager as a list of one", {"userName": "a", ENT: {"manager": [
        {"$ref": "http://x/scim/Users/m1", "value": "m1"}]}},
     {"userName": "a", ENT: {"manager": {"value": "m1"}}}),
    ("Entra manager as a bare string", {"userName": "a", ENT: {"manager": "m1"}},
     {"userName": "a", ENT: {"manager": {"value": "m1"}}}),
    ("manager null (Entra tutorial Example 2)", {"userName": "a", ENT: {"manager": None},
                                                 "addresses": None},
     {"userName": "a"}),
    ("manager with only derived parts vanishes", {"userName": "a", ENT: {"manager": {"$ref": "x"}}},
     {"userName": "a"}),
    ("Entra roles with a JSON string value",
     {"userName": "a", "roles": [{"primary": False, "type": "WindowsAzureActiveDirectoryRole",
                                  "display": "Admin", "value": '{"id":"1","value":"Admin"}'}]},
     {"userName": "a", "roles": [{"primary": False, "type": "WindowsAzureActiveDirectoryRole",
                                  "display": "Admin", "value": '{"id":"1","value":"Admin"}'}]}),
    ("binary stored as sent",
     {"userName": "a", "x509Certificates": [{"value": "TUlJREtq"}]},
     {"userName": "a", "x509Certificates": [{"value": "TUlJREtq"}]}),
    ("read-only and service-owned keys dropped",
     {"userName": "a", "id": "x", "meta": {"created": "x"}, "schemas": [],
      "groups": [{"value": "g"}]},
     {"userName": "a"}),
    ("password never stored", {"userName": "a", "Password": "hunter2"}, {"userName": "a"}),
    ("an extension emptied by a later flattened key vanishes",
     {"userName": "a", ENT: {"department": "S"}, f"{ENT}:department": ""},
     {"userName": "a"}),
]


@pytest.mark.parametrize(("body", "expected"), [c[1:] for c in LOADS], ids=[c[0] for c in LOADS])
def test_load(body, expected):
    assert load(body)[0] == expected


# --- unknown attributes ------------------------------------------------------------------------

CUSTOM_BODY = {"userName": "a", CUSTOM: {"costCentreCode": "CC1", "postalCode": "1234"},
               "foo": 1, "name": {"givenName": "A", "bogus": "x"}}


def test_unknown_attributes_ignored_and_recorded():
    got, ignored = load(CUSTOM_BODY)
    assert got == {"userName": "a", "name": {"givenName": "A"}}
    assert sorted(ignored) == sorted([f"{CUSTOM}:costCentreCode", f"{CUSTOM}:postalCode",
                                      "foo", "name.bogus"])


@pytest.mark.parametrize("body", [
    {"userName": "a", "foo": 1},
    {"userName": "a", "name": {"bogus": "x"}},
    {"userName": "a", CUSTOM: {"postalCode": "1"}},
    {"userName": "a", f"{ENT}:bogus": "x"},
    {"userName": "a", "emails": [{"value": "a@x", "label": "x"}]},
])
def test_unknown_attributes_rejected(body):
    with pytest.raises(InvalidValue):
        load(body, unknown="reject")


def test_declared_custom_extension():
    got, ignored = load(CUSTOM_BODY, USER_WITH_CUSTOM)
    assert got == {"userName": "a", "name": {"givenName": "A"},
                   CUSTOM: {"costCentreCode": "CC1"}}
    assert sorted(ignored) == sorted([f"{CUSTOM}:postalCode", "foo", "name.bogus"])


def test_declared_custom_extension_flattened_and_typed():
    body = {"userName": "a", f"{CUSTOM}:badgeCount": 3, f"{CUSTOM}:tags": "x"}
    assert load(body, USER_WITH_CUSTOM)[0] == {"userName": "a",
                                               CUSTOM: {"badgeCount": 3, "tags": ["x"]}}
    with pytest.raises(InvalidValue, match="badgeCount"):
        load({"userName": "a", CUSTOM: {"badgeCount": "3"}}, USER_WITH_CUSTOM)


# --- errors -----------------------------------------------------------------------------------

LONG = "x" * 5000
ERRORS = [
    ("userName a number", {"userName": 5}, "userName"),
    ("userName a bool", {"userName": True}, "userName"),
    ("string sub-attribute a number", {"userName": "a", "name": {"givenName": 1}},
     "name.givenName"),
    ("active not a boolean", {"userName": "a", "active": "yes"}, "active"),
    ("active a number", {"userName": "a", "active": 1}, "active"),
    ("primary not a boolean", {"userName": "a", "emails": [{"value": "x", "primary": "maybe"}]},
     "emails.primary"),
    ("reference a number", {"userName": "a", "profileUrl": 3}, "profileUrl"),
    ("binary not base64", {"userName": "a", "x509Certificates": [{"value": "not base64!"}]},
     "x509Certificates.value"),
    ("complex as a number", {"userName": "a", "name": 3}, "name"),
    ("complex as a string without value", {"userName": "a", "name": "Bob"}, "name"),
    ("manager list of two", {"userName": "a", ENT: {"manager": [{"value": "1"}, {"value": "2"}]}},
     "manager"),
    ("extension not an object", {"userName": "a", ENT: "x"}, ENT),
    ("two primaries", {"userName": "a", "emails": [{"value": "a", "primary": True},
                                                   {"value": "b", "primary": "True"}]}, "primary"),
    ("userName missing", {"name": {"givenName": "A"}}, "userName is required"),
    ("userName empty", {"userName": ""}, "userName is required"),
    ("over-long value", {"userName": LONG}, "longer than 4096"),
    ("over-long attribute name", {"userName": "a", "y" * 300: "v"}, "too long"),
]


@pytest.mark.parametrize(("body", "needle"), [c[1:] for c in ERRORS], ids=[c[0] for c in ERRORS])
def test_load_errors(body, needle):
    with pytest.raises(InvalidValue, match=needle) as caught:
        load(body)
    assert len(caught.value.detail) < 400  # never echo a huge value back


@pytest.mark.parametrize("body", [None, [], "userName", 3])
def test_non_object_body(body):
    with pytest.raises(InvalidSyntax):
        load(body)


def test_max_value_length_is_configurable():
    assert load({"userName": "abcdef"}, max_value_length=6)[0] == {"userName": "abcdef"}
    with pytest.raises(InvalidValue):
        load({"userName": "abcdefg"}, max_value_length=6)


# --- coerce by type -------------------------------------------------------------------------------

def attr(kind, **kw):
    return schema.Attribute("x", type=kind, **kw)


COERCE_OK = [
    (attr("integer"), 3, 3),
    (attr("decimal"), 1.5, 1.5),
    (attr("decimal"), 2, 2),
    (attr("boolean"), "TRUE", True),
    (attr("dateTime"), "2024-05-01T10:00:00Z", "2024-05-01T10:00:00Z"),
    (attr("dateTime"), "2024-05-01T10:00:00.123+02:00", "2024-05-01T10:00:00.123+02:00"),
    (attr("dateTime"), "2024-05-01T10:00:00", "2024-05-01T10:00:00"),
    (attr("binary"), "AAEC", "AAEC"),
    (attr("reference"), "https://x/y", "https://x/y"),
    (attr("string", multi_valued=True), "a", ["a"]),
    (attr("string", multi_valued=True), ["a", None, ""], ["a"]),
    (attr("string"), "", None),
]


@pytest.mark.parametrize(("attribute", "value", "expected"), COERCE_OK)
def test_coerce(attribute, value, expected):
    assert resource.coerce(attribute, value, "x") == expected


COERCE_BAD = [
    (attr("integer"), True), (attr("integer"), 1.5), (attr("integer"), "3"),
    (attr("decimal"), False), (attr("decimal"), "1.5"), (attr("decimal"), float("nan")),
    (attr("boolean"), 0), (attr("boolean"), "yes"),
    (attr("dateTime"), "2024-05-01"), (attr("dateTime"), "yesterday"),
    (attr("dateTime"), "2024-13-01T10:00:00Z"), (attr("dateTime"), 1714550400),
    (attr("binary"), "@@@"), (attr("string"), ["a"]), (attr("string"), {"a": 1}),
]


@pytest.mark.parametrize(("attribute", "value"), COERCE_BAD)
def test_coerce_rejects(attribute, value):
    with pytest.raises(InvalidValue, match="x"):
        resource.coerce(attribute, value, "x")


# --- groups -----------------------------------------------------------------------------------

def test_entra_group_create():
    body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group",
                        "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
            "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159", "displayName": "Group1",
            "meta": {"resourceType": "Group"}}
    assert load(body, GROUP) == ({"externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
                                  "displayName": "Group1"}, [])


def test_group_members():
    body = {"displayName": "G", "members": [
        {"$ref": None, "value": "u1"},
        {"value": "u2", "display": "Bob", "type": "User", "$ref": "https://x/Users/u2"},
        "u3",
    ]}
    assert load(body, GROUP)[0] == {"displayName": "G", "members": [
        {"value": "u1"},
        {"value": "u2", "display": "Bob", "type": "User", "$ref": "https://x/Users/u2"},
        {"value": "u3"}]}


@pytest.mark.parametrize("body", [
    {"members": []},
    {"displayName": "G", "members": [{"display": "Bob", "type": "User"}]},
    {"displayName": "G", "members": [{"$ref": "https://x/Users/u2"}]},
    {"displayName": 3},
])
def test_group_errors(body):
    with pytest.raises(InvalidValue):
        load(body, GROUP)


# --- validate ---------------------------------------------------------------------------------

def test_validate_accepts_and_strips():
    assert resource.validate({"userName": "a", "name": {"givenName": ""}, ENT: {}}, USER) == {
        "userName": "a"}


@pytest.mark.parametrize("stored", [
    {"name": {"givenName": "a"}},
    {"userName": "a", "emails": [{"value": "a", "primary": True}, {"value": "b", "primary": True}]},
    {"userName": "a", "id": "x"},
    {"userName": "a", "username": "b"},
    {"userName": "a", "groups": [{"value": "g"}]},
    {"userName": "a", "active": "yes"},
    {"userName": "a", ENT: "x"},
    {"userName": "a", ENT: {"bogus": "x"}},
    "not a dict",
])
def test_validate_rejects(stored):
    with pytest.raises(SCIMError):
        resource.validate(stored, USER)
