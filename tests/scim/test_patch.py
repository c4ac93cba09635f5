"""scim.patch: RFC 7644 §3.5.2 examples and every Entra PATCH shape (entra-scim.md §7, §8, §10)."""

import copy
from types import SimpleNamespace

import pytest

from scim import patch
from scim import schema
from scim.errors import InvalidFilter
from scim.errors import InvalidPath
from scim.errors import InvalidSyntax
from scim.errors import InvalidValue
from scim.errors import Mutability
from scim.errors import NoTarget
from scim.filter import AttrPath
from scim.filter import Compare
from scim.filter import PatchPath
from scim.filter import parse
from scim.paths import matches

ENT = schema.ENTERPRISE
CUSTOM = schema.DEFAULT_CUSTOM
USER = schema.user_type()
USER_WITH_CUSTOM = schema.user_type(schema.custom_schema(CUSTOM, [
    SimpleNamespace(name="postalCode", type="string", multi_valued=False, description=""),
]))
GROUP = schema.GROUP_TYPE


def body(*ops):
    return {"schemas": [patch.PATCH_OP], "Operations": list(ops)}


def run(before, ops, rtype=USER, **kw):
    """Parse and apply; checks the input is never mutated."""
    snapshot = copy.deepcopy(before)
    after, ignored = patch.apply(before, patch.operations(body(*ops)), rtype, **kw)
    assert before == snapshot
    return after, ignored


BJ = {"userName": "bjensen", "name": {"givenName": "Barbara", "familyName": "Jensen"},
      "emails": [{"value": "bjensen@example.com", "type": "work", "primary": True},
                 {"value": "babs@jensen.org", "type": "home"}],
      "addresses": [{"type": "work", "streetAddress": "100 Universal City Plaza",
                     "locality": "Hollywood"},
                    {"type": "home", "streetAddress": "456 Hollywood Blvd"}],
      "active": True}


def bj(**changes):
    out = copy.deepcopy(BJ)
    for k, v in changes.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = v
    return out


M1 = {"value": "2819c223-7f76-453a-919d-413861904646",
      "$ref": "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646"}
M2 = {"value": "902c246b-6245-4190-8e05-00816be7344a"}
GRP = {"displayName": "Tour Guides", "members": [dict(M1, type="User"), M2]}

# (id, before, operations, expected after, resource type)
CASES = [
    # ---- RFC 7644 §3.5.2.1 add ----
    ("rfc add members", {"displayName": "Tour Guides"},
     [{"op": "add", "path": "members",
       "value": [{"display": "Babs Jensen", "$ref": M1["$ref"], "value": M1["value"]}]}],
     {"displayName": "Tour Guides", "members": [dict(M1, display="Babs Jensen")]}, GROUP),
    ("rfc add without path", bj(),
     [{"op": "add", "value": {"emails": [{"value": "babs@jensen.com", "type": "other"}],
                              "nickname": "Babs"}}],
     bj(emails=BJ["emails"] + [{"value": "babs@jensen.com", "type": "other"}], nickName="Babs"),
     USER),
    # ---- RFC 7644 §3.5.2.2 remove ----
    ("rfc remove one member", GRP,
     [{"op": "remove", "path": f'members[value eq "{M1["value"]}"]'}],
     {"displayName": "Tour Guides", "members": [M2]}, GROUP),
    ("rfc remove all members", GRP, [{"op": "remove", "path": "members"}],
     {"displayName": "Tour Guides"}, GROUP),
    ("rfc remove by complex filter", bj(),
     [{"op": "remove", "path": 'emails[type eq "work" and value ew "example.com"]'}],
     bj(emails=[BJ["emails"][1]]), USER),
    ("rfc remove two members", GRP,
     [{"op": "remove", "path": f'members[value eq "{M1["value"]}"]'},
      {"op": "remove", "path": f'members[value eq "{M2["value"]}"]'}],
     {"displayName": "Tour Guides"}, GROUP),
    ("rfc replace all members by remove+add", GRP,
     [{"op": "remove", "path": "members"},
      {"op": "add", "path": "members", "value": [{"value": "u9", "display": "James"}]}],
     {"displayName": "Tour Guides", "members": [{"value": "u9", "display": "James"}]}, GROUP),
    # ---- RFC 7644 §3.5.2.3 replace ----
    ("rfc replace members", GRP,
     [{"op": "replace", "path": "members", "value": [{"value": "u7"}, {"value": "u8"}]}],
     {"displayName": "Tour Guides", "members": [{"value": "u7"}, {"value": "u8"}]}, GROUP),
    ("rfc replace filtered entry", bj(),
     [{"op": "replace", "path": 'addresses[type eq "work"]',
       "value": {"type": "work", "streetAddress": "911 Universal City Plaza",
                 "locality": "Hollywood", "region": "CA", "postalCode": "91608",
                 "country": "US", "formatted": "911 Universal City Plaza\nHollywood, CA 91608 US",
                 "primary": True}}],
     bj(addresses=[{"type": "work", "streetAddress": "911 Universal City Plaza",
                    "locality": "Hollywood", "region": "CA", "postalCode": "91608",
                    "country": "US",
                    "formatted": "911 Universal City Plaza\nHollywood, CA 91608 US",
                    "primary": True}, BJ["addresses"][1]]), USER),
    ("rfc replace filtered sub-attribute", bj(),
     [{"op": "replace", "path": 'addresses[type eq "work"].streetAddress',
       "value": "1010 Broadway Ave"}],
     bj(addresses=[dict(BJ["addresses"][0], streetAddress="1010 Broadway Ave"),
                   BJ["addresses"][1]]), USER),
    ("rfc replace without path", bj(),
     [{"op": "replace", "value": {"emails": [
         {"value": "bjensen@example.com", "type": "work", "primary": True},
         {"value": "babs@jensen.org", "type": "home"}], "nickname": "Babs"}}],
     bj(nickName="Babs"), USER),
    ("replace single complex merges", bj(),
     [{"op": "replace", "path": "name", "value": {"familyName": "Jensen-Smith"}}],
     bj(name={"givenName": "Barbara", "familyName": "Jensen-Smith"}), USER),
    # ---- Entra §7 ----
    ("P1 filtered + nested replace", bj(),
     [{"op": "Replace", "path": 'emails[type eq "work"].value', "value": "new@example.com"},
      {"op": "Replace", "path": "name.familyName", "value": "Smith"}],
     bj(emails=[dict(BJ["emails"][0], value="new@example.com"), BJ["emails"][1]],
        name={"givenName": "Barbara", "familyName": "Smith"}), USER),
    ("P2 single-valued replace", bj(),
     [{"op": "Replace", "path": "userName", "value": "ryan3"}], bj(userName="ryan3"), USER),
    ("P3 replace many incl. externalId and URN path", bj(),
     [{"op": "Replace", "path": "displayName", "value": "Babs"},
      {"op": "Replace", "path": "externalId", "value": "e1"},
      {"op": "Replace", "path": f"{ENT}:employeeNumber", "value": "42"},
      {"op": "Replace", "path": f"{ENT}:Department", "value": "Sales"}],
     bj(displayName="Babs", externalId="e1", **{ENT: {"employeeNumber": "42",
                                                       "department": "Sales"}}), USER),
    ("P4 path-less replace with path keys", bj(),
     [{"op": "replace", "path": 'emails[type eq "work"].value', "value": "w@x"},
      {"op": "replace", "value": {"displayName": "BJ", "name.givenName": "Babs",
                                  "name.familyName": "J", f"{ENT}:employeeNumber": "7"}}],
     bj(emails=[dict(BJ["emails"][0], value="w@x"), BJ["emails"][1]], displayName="BJ",
        name={"givenName": "Babs", "familyName": "J"}, **{ENT: {"employeeNumber": "7"}}), USER),
    ("P5 path-less add with dotted keys", {"userName": "u"},
     [{"op": "add", "value": {"displayName": "D", "title": "T", "name.givenName": "G",
                              "name.familyName": "F", "name.formatted": "G F"}}],
     {"userName": "u", "displayName": "D", "title": "T",
      "name": {"givenName": "G", "familyName": "F", "formatted": "G F"}}, USER),
    ("P5 path-less add with filtered key and URN object", {"userName": "u"},
     [{"op": "add", "value": {'emails[type eq "work"].value': "w@x",
                              ENT: {"department": "D", "manager": "m1"}}}],
     {"userName": "u", "emails": [{"type": "work", "value": "w@x"}],
      ENT: {"department": "D", "manager": {"value": "m1"}}}, USER),
    ("P6 add single-valued string", bj(), [{"op": "Add", "path": "nickName", "value": "Babs"}],
     bj(nickName="Babs"), USER),
    ("P7 mixed replace + enterprise add", bj(),
     [{"op": "Replace", "path": 'emails[type eq "work"].value', "value": "w@x"},
      {"op": "Replace", "path": 'addresses[type eq "work"].formatted', "value": "F"},
      {"op": "Add", "path": f"{ENT}:department", "value": "Eng"}],
     bj(emails=[dict(BJ["emails"][0], value="w@x"), BJ["emails"][1]],
        addresses=[dict(BJ["addresses"][0], formatted="F"), BJ["addresses"][1]],
        **{ENT: {"department": "Eng"}}), USER),
    ("P8 filtered add creates the entry", {"userName": "u"},
     [{"op": "Add", "path": 'phoneNumbers[type eq "mobile"].value', "value": "+1 555"},
      {"op": "Add", "path": 'emails[type eq "work"].value', "value": "w@x"}],
     {"userName": "u", "phoneNumbers": [{"type": "mobile", "value": "+1 555"}],
      "emails": [{"type": "work", "value": "w@x"}]}, USER),
    ("P8 filtered replace creates the entry too", bj(),
     [{"op": "Replace", "path": 'phoneNumbers[type eq "fax"].value', "value": "+1 556"}],
     bj(phoneNumbers=[{"type": "fax", "value": "+1 556"}]), USER),
    ("P9 several sub-attributes land in one entry", {"userName": "u"},
     [{"op": "Add", "path": 'addresses[type eq "work"].formatted', "value": "F"},
      {"op": "Add", "path": 'addresses[type eq "work"].locality', "value": "L"},
      {"op": "Add", "path": 'addresses[type eq "work"].region', "value": "R"},
      {"op": "Add", "path": 'addresses[type eq "other"].Formatted', "value": "O"}],
     {"userName": "u", "addresses": [
         {"type": "work", "formatted": "F", "locality": "L", "region": "R"},
         {"type": "other", "formatted": "O"}]}, USER),
    ("P10 remove with value on a filtered sub-attribute", bj(),
     [{"op": "Remove", "path": 'emails[type eq "work"].value', "value": "BJENSEN@example.com"}],
     bj(emails=[BJ["emails"][1]]), USER),
    ("P10 remove with a different value is a no-op", bj(),
     [{"op": "Remove", "path": 'emails[type eq "work"].value', "value": "old@example.com"}],
     bj(), USER),
    ("P11 string False", bj(), [{"op": "Replace", "path": "active", "value": "False"}],
     bj(active=False), USER),
    ("P11 string True", bj(active=False), [{"op": "Replace", "path": "active", "value": "True"}],
     bj(), USER),
    ("P12 lower-case string", bj(), [{"op": "Replace", "path": "active", "value": "false"}],
     bj(active=False), USER),
    ("P13 real boolean", bj(), [{"op": "replace", "path": "active", "value": False}],
     bj(active=False), USER),
    ("P13 path-less active", bj(), [{"op": "replace", "value": {"active": False}}],
     bj(active=False), USER),
    ("P14 custom attribute by URN path", {"userName": "u"},
     [{"op": "Add", "path": f"{CUSTOM}:postalCode", "value": "1234"},
      {"op": "replace", "value": {f"{CUSTOM}:postalCode": "5678"}}],
     {"userName": "u", CUSTOM: {"postalCode": "5678"}}, USER_WITH_CUSTOM),
    ("P15 roles with JSON string value", {"userName": "u"},
     [{"op": "Add", "path": "roles",
       "value": [{"value": '{"id":"1","value":"Admin","displayName":"Admin"}'}]}],
     {"userName": "u", "roles": [{"value": '{"id":"1","value":"Admin","displayName":"Admin"}'}]},
     USER),
    ("P15 roles replace", {"userName": "u", "roles": [{"value": "a"}]},
     [{"op": "replace", "path": "roles",
       "value": [{"primary": "True", "type": "WindowsAzureActiveDirectoryRole", "value": "b"}]}],
     {"userName": "u", "roles": [{"primary": True, "type": "WindowsAzureActiveDirectoryRole",
                                  "value": "b"}]}, USER),
    # ---- Entra §8 manager ----
    ("manager legacy path and list value", {"userName": "u"},
     [{"op": "Add", "path": "manager", "value": [{"$ref": "http://x/scim/Users/m1",
                                                  "value": "m1"}]}],
     {"userName": "u", ENT: {"manager": {"value": "m1"}}}, USER),
    ("manager bare string on the URN path", {"userName": "u", ENT: {"manager": {"value": "m1"}}},
     [{"op": "add", "path": f"{ENT}:manager", "value": "m2"}],
     {"userName": "u", ENT: {"manager": {"value": "m2"}}}, USER),
    ("manager.value", {"userName": "u"},
     [{"op": "replace", "path": f"{ENT}:manager.value", "value": "m3"}],
     {"userName": "u", ENT: {"manager": {"value": "m3"}}}, USER),
    ("manager removed by value filter", {"userName": "u", ENT: {"manager": {"value": "m1"},
                                                                "department": "D"}},
     [{"op": "remove", "path": 'manager[value eq "m1"]'}],
     {"userName": "u", ENT: {"department": "D"}}, USER),
    ("manager value filter that does not match",
     {"userName": "u", ENT: {"manager": {"value": "m1"}}},
     [{"op": "remove", "path": f'{ENT}:manager[value eq "m9"]'}],
     {"userName": "u", ENT: {"manager": {"value": "m1"}}}, USER),
    ("manager removed by path", {"userName": "u", ENT: {"manager": {"value": "m1"}}},
     [{"op": "remove", "path": f"{ENT}:manager"}], {"userName": "u"}, USER),
    # ---- groups §10 ----
    ("add several members", {"displayName": "G"},
     [{"op": "Add", "path": "members", "value": [{"$ref": None, "value": "u1"},
                                                 {"$ref": None, "value": "u2"}]}],
     {"displayName": "G", "members": [{"value": "u1"}, {"value": "u2"}]}, GROUP),
    ("add one member as an object", {"displayName": "G", "members": [{"value": "u1"}]},
     [{"op": "add", "path": "members", "value": {"value": "u2"}}],
     {"displayName": "G", "members": [{"value": "u1"}, {"value": "u2"}]}, GROUP),
    ("re-adding an existing member is a no-op", GRP,
     [{"op": "Add", "path": "members", "value": [{"$ref": None, "value": M1["value"]}]}],
     GRP, GROUP),
    ("re-add merges a new sub-attribute", {"displayName": "G", "members": [{"value": "u1"}]},
     [{"op": "add", "path": "members", "value": [{"value": "u1", "type": "User"}]}],
     {"displayName": "G", "members": [{"value": "u1", "type": "User"}]}, GROUP),
    ("legacy remove with value list removes only those",
     {"displayName": "G", "members": [{"value": "u1"}, {"value": "u2"}, {"value": "u3"}]},
     [{"op": "Remove", "path": "members", "value": [{"$ref": None, "value": "u1"},
                                                   {"value": "u3"}]}],
     {"displayName": "G", "members": [{"value": "u2"}]}, GROUP),
    ("flag remove by filter", {"displayName": "G", "members": [{"value": "u1"}, {"value": "u2"}]},
     [{"op": "remove", "path": 'members[value eq "u2"]'}],
     {"displayName": "G", "members": [{"value": "u1"}]}, GROUP),
    ("displayName replace", GRP, [{"op": "Replace", "path": "displayName", "value": "Guides"}],
     dict(GRP, displayName="Guides"), GROUP),
    ("Okta path-less group replace with id", GRP,
     [{"op": "replace", "value": {"id": "abc", "displayName": "Guides"}}],
     dict(GRP, displayName="Guides"), GROUP),
    # ---- other semantics ----
    ("setting primary clears the others", bj(),
     [{"op": "replace", "path": 'emails[type eq "home"].primary', "value": True}],
     bj(emails=[dict(BJ["emails"][0], primary=False), dict(BJ["emails"][1], primary=True)]),
     USER),
    ("adding a primary value clears the others", bj(),
     [{"op": "add", "path": "emails", "value": [{"value": "n@x", "primary": True}]}],
     bj(emails=[dict(BJ["emails"][0], primary=False), BJ["emails"][1],
                {"value": "n@x", "primary": True}]), USER),
    ("remove absent is a no-op", {"userName": "u"},
     [{"op": "remove", "path": "nickName"}, {"op": "remove", "path": 'emails[type eq "work"]'},
      {"op": "remove", "path": f"{ENT}:manager"}], {"userName": "u"}, USER),
    ("remove a sub-attribute", bj(), [{"op": "remove", "path": "name.givenName"}],
     bj(name={"familyName": "Jensen"}), USER),
    ("remove last sub-attribute removes the parent", {"userName": "u", "name": {"givenName": "a"}},
     [{"op": "remove", "path": "name.givenName"}], {"userName": "u"}, USER),
    ("remove a filtered sub-attribute drops the entry left without value", bj(),
     [{"op": "remove", "path": 'emails[type eq "home"].value'}],
     bj(emails=[BJ["emails"][0]]), USER),
    ("remove whole extension", {"userName": "u", ENT: {"department": "D"}},
     [{"op": "remove", "path": ENT}], {"userName": "u"}, USER),
    ("replace whole extension merges", {"userName": "u", ENT: {"department": "D"}},
     [{"op": "replace", "path": ENT, "value": {"division": "V"}}],
     {"userName": "u", ENT: {"department": "D", "division": "V"}}, USER),
    ("replace with null unassigns", bj(), [{"op": "replace", "path": "active", "value": None}],
     bj(active=None), USER),
    ("replace that changes nothing", bj(), [{"op": "replace", "path": "userName",
                                             "value": "bjensen"}], bj(), USER),
    ("path-less service keys silently dropped", bj(),
     [{"op": "replace", "value": {"id": "x", "meta": {}, "schemas": [], "groups": [],
                                  "password": "p", "nickName": "B"}}],
     bj(nickName="B"), USER),
    ("password path accepted and never stored", bj(),
     [{"op": "replace", "path": "password", "value": "hunter2"}], bj(), USER),
    ("filter with ne / pr / not / or", bj(),
     [{"op": "replace", "path": 'emails[not (type ne "home") or value pr and type eq "x"].display',
       "value": "H"}],
     bj(emails=[BJ["emails"][0], dict(BJ["emails"][1], display="H")]), USER),
    ("filter strings case-insensitive", bj(),
     [{"op": "remove", "path": 'emails[TYPE eq "WORK"]'}], bj(emails=[BJ["emails"][1]]), USER),
    ("multi-valued sub without filter sets every value", bj(),
     [{"op": "replace", "path": "emails.display", "value": "d"}],
     bj(emails=[dict(e, display="d") for e in BJ["emails"]]), USER),
    ("empty path counts as absent", bj(), [{"op": "add", "path": "", "value": {"title": "T"}}],
     bj(title="T"), USER),
]


@pytest.mark.parametrize(("before", "ops", "expected", "rtype"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_patch(before, ops, expected, rtype):
    assert run(before, ops, rtype)[0] == expected


# --- unknown attributes -------------------------------------------------------------------------

def test_undeclared_custom_extension_ignored_and_recorded():
    after, ignored = run({"userName": "u"}, [
        {"op": "Add", "path": f"{CUSTOM}:postalCode", "value": "1"},
        {"op": "replace", "value": {CUSTOM: {"costCentre": "c"}, "bogus": 1, f"{ENT}:x": 2}},
    ])
    assert after == {"userName": "u"}
    assert ignored == [f"{CUSTOM}:postalCode", f"{CUSTOM}:costCentre", "bogus", f"{ENT}:x"]


@pytest.mark.parametrize("op", [
    {"op": "Add", "path": f"{CUSTOM}:postalCode", "value": "1"},
    {"op": "replace", "value": {"bogus": 1}},
    {"op": "replace", "path": "name", "value": {"bogus": 1}},
])
def test_unknown_rejected(op):
    with pytest.raises(InvalidValue):
        run({"userName": "u"}, [op], unknown="reject")


def test_hand_built_path():
    ops = [patch.Operation("replace", PatchPath(AttrPath(None, "emails"),
                                                Compare(AttrPath(None, "type"), "eq", "work"),
                                                "value"), "w@x", 'emails[type eq "work"].value')]
    assert patch.apply({"userName": "u"}, ops, USER)[0] == {
        "userName": "u", "emails": [{"type": "work", "value": "w@x"}]}


# --- errors ---------------------------------------------------------------------------------------

ERRORS = [
    ("remove without path", [{"op": "remove"}], NoTarget),
    ("unknown core path", [{"op": "replace", "path": "bogus", "value": 1}], InvalidPath),
    ("unknown sub-attribute", [{"op": "replace", "path": "name.bogus", "value": 1}], InvalidPath),
    ("unparseable path", [{"op": "replace", "path": "emails[type eq", "value": 1}], InvalidPath),
    ("path not a string", [{"op": "replace", "path": 3, "value": 1}], InvalidPath),
    ("filter on a simple attribute", [{"op": "remove", "path": 'userName[value eq "x"]'}],
     InvalidPath),
    ("filter names no sub-attribute", [{"op": "remove", "path": 'emails[bogus eq "x"]'}],
     InvalidFilter),
    ("bad op name", [{"op": "delete", "path": "nickName"}], InvalidSyntax),
    ("op missing", [{"path": "nickName", "value": "x"}], InvalidSyntax),
    ("op not an object", ["add"], InvalidSyntax),
    ("add without value", [{"op": "add", "path": "nickName"}], InvalidValue),
    ("readOnly id", [{"op": "replace", "path": "id", "value": "x"}], Mutability),
    ("readOnly meta", [{"op": "remove", "path": "meta"}], Mutability),
    ("readOnly groups", [{"op": "add", "path": "groups", "value": [{"value": "g"}]}], Mutability),
    ("readOnly manager.displayName",
     [{"op": "replace", "path": f"{ENT}:manager.displayName", "value": "x"}], Mutability),
    ("remove required userName", [{"op": "remove", "path": "userName"}], Mutability),
    ("userName emptied", [{"op": "replace", "path": "userName", "value": ""}], InvalidValue),
    ("bad boolean", [{"op": "replace", "path": "active", "value": "yes"}], InvalidValue),
    ("string as number", [{"op": "replace", "path": "nickName", "value": 3}], InvalidValue),
    ("complex as number", [{"op": "replace", "path": "name", "value": 3}], InvalidValue),
    ("path-less value not an object", [{"op": "add", "value": "x"}], InvalidValue),
    ("two primaries in a replace", [{"op": "replace", "path": "emails", "value": [
        {"value": "a", "primary": True}, {"value": "b", "primary": True}]}], InvalidValue),
    ("filter matching two values set primary",
     [{"op": "replace", "path": "emails[value pr].primary", "value": True}], InvalidValue),
    ("filter without eq cannot create", [{"op": "add", "path": 'ims[value sw "x"].type',
                                          "value": "aim"}], NoTarget),
    ("ordering on a boolean", [{"op": "remove", "path": "emails[primary gt true]"}],
     InvalidFilter),
    ("over-long value", [{"op": "replace", "path": "nickName", "value": "x" * 5000}],
     InvalidValue),
]


@pytest.mark.parametrize(("ops", "error"), [c[1:] for c in ERRORS], ids=[c[0] for c in ERRORS])
def test_patch_errors(ops, error):
    with pytest.raises(error):
        run(bj(), ops)


GROUP_ERRORS = [
    ("member without value", [{"op": "add", "path": "members", "value": [{"type": "User"}]}],
     InvalidValue),
    ("immutable member value", [{"op": "replace", "path": 'members[value eq "u1"].value',
                                 "value": "u2"}], Mutability),
    ("immutable member type", [{"op": "add", "path": "members",
                                "value": [{"value": "u1", "type": "Group"}]}], Mutability),
    ("remove required displayName", [{"op": "remove", "path": "displayName"}], Mutability),
]


@pytest.mark.parametrize(("ops", "error"), [c[1:] for c in GROUP_ERRORS],
                         ids=[c[0] for c in GROUP_ERRORS])
def test_group_patch_errors(ops, error):
    with pytest.raises(error):
        run({"displayName": "G", "members": [{"value": "u1", "type": "User"}]}, ops, GROUP)


def test_a_members_display_is_immutable_once_written():
    # Clients write `display` with the member (RFC 7643 §4.2); it is not renamed on its own.
    with pytest.raises(Mutability):
        run({"displayName": "G", "members": [{"value": "u1", "display": "Åse"}]},
            [{"op": "replace", "path": 'members[value eq "u1"].display', "value": "x"}], GROUP)


def test_immutable_may_be_added_when_absent():
    after, _ = run({"displayName": "G", "members": [{"value": "u1"}]},
                   [{"op": "add", "path": 'members[value eq "u1"].type', "value": "User"}], GROUP)
    assert after["members"] == [{"value": "u1", "type": "User"}]


BODY_ERRORS = [
    ("not an object", [], InvalidSyntax),
    ("missing schemas", {"Operations": [{"op": "add", "path": "title", "value": "x"}]},
     InvalidSyntax),
    ("wrong schemas", {"schemas": ["urn:x"], "Operations": []}, InvalidSyntax),
    ("Operations not a list", {"schemas": [patch.PATCH_OP], "Operations": {"op": "add"}},
     InvalidSyntax),
    ("Operations empty", {"schemas": [patch.PATCH_OP], "Operations": []}, InvalidSyntax),
    ("Operations missing", {"schemas": [patch.PATCH_OP]}, InvalidSyntax),
]


@pytest.mark.parametrize(("raw", "error"), [c[1:] for c in BODY_ERRORS],
                         ids=[c[0] for c in BODY_ERRORS])
def test_body_errors(raw, error):
    with pytest.raises(error):
        patch.operations(raw)


def test_operations_parsing():
    ops = patch.operations({"SCHEMAS": [patch.PATCH_OP.upper()], "operations": [
        {"OP": "Add", "Path": "nickName", "Value": "B"}, {"op": "REMOVE", "path": "title"}]})
    assert ops == [
        patch.Operation("add", PatchPath(AttrPath(None, "nickName")), "B", "nickName"),
        patch.Operation("remove", PatchPath(AttrPath(None, "title")), None, "title"),
    ]


def test_all_or_nothing():
    before = bj()
    ops = patch.operations(body({"op": "replace", "path": "nickName", "value": "B"},
                                {"op": "replace", "path": "active", "value": "maybe"}))
    with pytest.raises(InvalidValue):
        patch.apply(before, ops, USER)
    assert before == BJ


def test_legacy_remove_with_empty_value_list_removes_nothing():
    before = {"displayName": "G", "members": [{"value": "u1"}]}
    assert run(before, [{"op": "Remove", "path": "members", "value": []}], GROUP)[0] == before


# --- value-filter matching ------------------------------------------------------------------

THING = schema.Attribute("things", type="complex", multi_valued=True, sub_attributes=(
    schema.Attribute("value"),
    schema.Attribute("code", case_exact=True),
    schema.Attribute("size", type="integer"),
    schema.Attribute("weight", type="decimal"),
    schema.Attribute("flag", type="boolean"),
    schema.Attribute("seen", type="dateTime"),
    schema.Attribute("display"),
))
ENTRY = {"value": "Alpha@Example.com", "code": "AbC", "size": 5, "weight": 1.5, "flag": True,
         "seen": "2024-05-01T10:00:00Z"}
MATCHES = [
    ('value eq "alpha@example.com"', True), ('value ne "alpha@example.com"', False),
    ('value co "EXAMPLE"', True), ('value sw "alpha"', True), ('value ew ".COM"', True),
    ('value ew ".org"', False), ('value gt "a"', True), ('value lt "a"', False),
    ('code eq "AbC"', True), ('code eq "abc"', False), ('code co "B"', False),
    ("size eq 5", True), ("size gt 4", True), ("size ge 5", True), ("size lt 5", False),
    ("size le 5", True), ('size eq "5"', False), ("size ne 4", True), ("weight gt 1", True),
    ("flag eq true", True), ("flag eq false", False), ('flag eq "true"', True),  # Entra
    ('seen gt "2024-05-01T09:00:00Z"', True), ('seen lt "2024-05-01T11:00:00+02:00"', False),
    ('seen ge "2024-05-01T12:00:00+02:00"', True), ('seen gt "not a date"', False),
    ("value pr", True), ("display pr", False), ("display eq null", True),
    ("value ne null", True), ('display ne "x"', True), ('display co "x"', False),
    ('value pr and size eq 5', True), ('value pr and size eq 6', False),
    ('size eq 6 or code eq "AbC"', True), ('not (size eq 6)', True),
    ('not (size eq 6 or flag eq true)', False), ('Value EQ "ALPHA@example.com"', True),
]


@pytest.mark.parametrize(("text", "expected"), MATCHES)
def test_matches(text, expected):
    assert matches(parse(text), ENTRY, THING) is expected


def test_entra_app_role_target_with_string_boolean_filter():
    """Entra's app-role mapping targets roles[primary eq "True"].value on users without roles."""
    from scim import schema

    ops = patch.operations({"schemas": [patch.PATCH_OP], "Operations": [
        {"op": "Add", "path": 'roles[primary eq "True"].value', "value": "Admin"}]})
    after, _ = patch.apply({"userName": "a"}, ops, schema.user_type())
    assert after["roles"] == [{"primary": True, "value": "Admin"}]
    again, _ = patch.apply(after, patch.operations({"schemas": [patch.PATCH_OP], "Operations": [
        {"op": "Replace", "path": 'roles[primary eq "True"].value', "value": "Reader"}]}),
        schema.user_type())
    assert again["roles"] == [{"primary": True, "value": "Reader"}]
