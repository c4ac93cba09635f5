"""scim.filter: filter text -> AST, PATCH paths, printing back (RFC 7644 §3.4.2.2, §3.5.2)."""

import pytest

from scim.errors import InvalidFilter
from scim.errors import InvalidPath
from scim.filter import And
from scim.filter import AttrPath
from scim.filter import Compare
from scim.filter import Not
from scim.filter import Or
from scim.filter import PatchPath
from scim.filter import Present
from scim.filter import ValuePath
from scim.filter import equality_value
from scim.filter import parse
from scim.filter import parse_path
from scim.filter import to_string

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"


def p(attr, sub=None, urn=None):
    return AttrPath(urn, attr, sub)


def eq(attr, value, op="eq"):
    return Compare(p(attr), op, value)


VALID = [
    # every operator, and case variants of operators
    ('userName eq "bjensen"', eq("userName", "bjensen")),
    ('userName ne "bjensen"', eq("userName", "bjensen", "ne")),
    ('name.familyName co "O\'Malley"', Compare(p("name", "familyName"), "co", "O'Malley")),
    ('userName sw "J"', eq("userName", "J", "sw")),
    ('userName ew "n"', eq("userName", "n", "ew")),
    ("age gt 5", eq("age", 5, "gt")),
    ("age lt 5", eq("age", 5, "lt")),
    ("age ge 5", eq("age", 5, "ge")),
    ("age le 5", eq("age", 5, "le")),
    ("title pr", Present(p("title"))),
    ('userName EQ "x"', eq("userName", "x")),
    ('userName Eq "x"', eq("userName", "x")),
    ("title PR", Present(p("title"))),
    ('userName eQ "x"', eq("userName", "x")),
    # names keep their spelling
    ('USERNAME eq "x"', eq("USERNAME", "x")),
    ('user-name_2 eq "x"', eq("user-name_2", "x")),
    ('$ref eq "x"', eq("$ref", "x")),
    ('members.$ref eq "x"', Compare(p("members", "$ref"), "eq", "x")),
    # values
    ("active eq true", eq("active", True)),
    ("active eq True", eq("active", True)),
    ("active eq FALSE", eq("active", False)),
    ("title eq null", eq("title", None)),
    ("title eq NULL", eq("title", None)),
    ("n eq 0", eq("n", 0)),
    ("n eq -12", eq("n", -12)),
    ("n eq 1.5", eq("n", 1.5)),
    ("n eq -0.25", eq("n", -0.25)),
    ("n eq 1e3", eq("n", 1000.0)),
    ("n eq 2E-2", eq("n", 0.02)),
    ("n eq 1.5e+2", eq("n", 150.0)),
    ('s eq ""', eq("s", "")),
    ('s eq "a\\"b"', eq("s", 'a"b')),
    ('s eq "a\\\\b"', eq("s", "a\\b")),
    ('s eq "a\\/b"', eq("s", "a/b")),
    ('s eq "\\b\\f\\n\\r\\t"', eq("s", "\b\f\n\r\t")),
    ('s eq "\\u00e9\\u00C9"', eq("s", "éÉ")),
    ('s eq "\\ud83d\\ude00"', eq("s", "\U0001f600")),
    ('s eq "é 😀 中文"', eq("s", "é 😀 中文")),
    ('s eq "a and b or c"', eq("s", "a and b or c")),
    ('s eq "(x) [y]"', eq("s", "(x) [y]")),
    # whitespace
    ('  userName   eq\t"x"  ', eq("userName", "x")),
    ('userName eq"x"', eq("userName", "x")),
    # logic: not > and > or, left-associative, parentheses group
    ("a pr and b pr", And(Present(p("a")), Present(p("b")))),
    ("a pr AND b pr Or c pr", Or(And(Present(p("a")), Present(p("b"))), Present(p("c")))),
    ("a pr or b pr and c pr", Or(Present(p("a")), And(Present(p("b")), Present(p("c"))))),
    ("a pr and b pr and c pr", And(And(Present(p("a")), Present(p("b"))), Present(p("c")))),
    ("a pr or b pr or c pr", Or(Or(Present(p("a")), Present(p("b"))), Present(p("c")))),
    ("(a pr or b pr) and c pr", And(Or(Present(p("a")), Present(p("b"))), Present(p("c")))),
    ("a pr and (b pr and c pr)", And(Present(p("a")), And(Present(p("b")), Present(p("c"))))),
    ("((a pr))", Present(p("a"))),
    ("not (a pr)", Not(Present(p("a")))),
    ("NOT(a pr)", Not(Present(p("a")))),
    ("not (a pr) and b pr", And(Not(Present(p("a"))), Present(p("b")))),
    (
        "b pr and not (a pr or c pr)",
        And(Present(p("b")), Not(Or(Present(p("a")), Present(p("c"))))),
    ),
    ("not (not (a pr))", Not(Not(Present(p("a"))))),
    ('notes eq "x" and orders pr', And(eq("notes", "x"), Present(p("orders")))),
    # URN paths, with and without sub-attribute (the URN ends at the last colon)
    (f'{ENTERPRISE}:title eq "Boss"', Compare(p("title", None, ENTERPRISE), "eq", "Boss")),
    (
        f'{ENTERPRISE}:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"',
        Compare(p("manager", "value", ENTERPRISE), "eq", "26118915-6090-4610-87e4-49d8ca9f808d"),
    ),
    (f'{USER}:userName sw "J"', Compare(p("userName", urn=USER), "sw", "J")),
    (f"{USER.upper()}:name.givenName pr", Present(p("name", "givenName", USER.upper()))),
    ("urn:x:y pr", Present(p("y", urn="urn:x"))),
    # value paths
    ('emails[type eq "work"]', ValuePath(p("emails"), eq("type", "work"))),
    (
        'emails[type eq "work" and value co "@contoso"]',
        ValuePath(p("emails"), And(eq("type", "work"), eq("value", "@contoso", "co"))),
    ),
    (
        'emails[not (type eq "work") or primary eq true]',
        ValuePath(p("emails"), Or(Not(eq("type", "work")), eq("primary", True))),
    ),
    ('members[value eq "2819c223"]', ValuePath(p("members"), eq("value", "2819c223"))),
    ('manager[value eq "abc"]', ValuePath(p("manager"), eq("value", "abc"))),
    (
        f'{USER}:emails[ type eq "work" ]',
        ValuePath(p("emails", urn=USER), eq("type", "work")),
    ),
    (
        'userType eq "Employee" and emails[type eq "work" and value co "@example.com"]',
        And(
            eq("userType", "Employee"),
            ValuePath(p("emails"), And(eq("type", "work"), eq("value", "@example.com", "co"))),
        ),
    ),
    # Entra's non-RFC form `attr[filter].sub op value`
    (
        'emails[type eq "work"].value eq "user@contoso.com"',
        ValuePath(p("emails"), And(eq("type", "work"), eq("value", "user@contoso.com"))),
    ),
    (
        'emails[type eq "work"].value pr',
        ValuePath(p("emails"), And(eq("type", "work"), Present(p("value")))),
    ),
    (
        'phoneNumbers[type eq "mobile"].value co "555" and active eq true',
        And(
            ValuePath(p("phoneNumbers"), And(eq("type", "mobile"), eq("value", "555", "co"))),
            eq("active", True),
        ),
    ),
    # what Entra and the RFC examples send
    ('externalId eq "johnwong"', eq("externalId", "johnwong")),
    (
        'id eq "6f3a" and manager eq "7b1c"',
        And(eq("id", "6f3a"), eq("manager", "7b1c")),
    ),
    (
        'meta.lastModified gt "2011-05-13T04:42:34Z"',
        Compare(p("meta", "lastModified"), "gt", "2011-05-13T04:42:34Z"),
    ),
    (
        'meta.resourceType eq "User" or meta.resourceType eq "Group"',
        Or(
            Compare(p("meta", "resourceType"), "eq", "User"),
            Compare(p("meta", "resourceType"), "eq", "Group"),
        ),
    ),
    (
        'title pr and (emails co "example.com" or emails.value co "example.org")',
        And(
            Present(p("title")),
            Or(
                eq("emails", "example.com", "co"),
                Compare(p("emails", "value"), "co", "example.org"),
            ),
        ),
    ),
    ('displayName eq "Group One"', eq("displayName", "Group One")),
]


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_parse(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_round_trip(text, expected):
    assert parse(to_string(parse(text))) == expected


def test_value_types_are_kept():
    assert type(parse("n eq 1").value) is int
    assert type(parse("n eq 1.0").value) is float
    assert parse("n eq true").value is True


def test_long_and_chain_is_flat_and_round_trips():
    text = " and ".join(f"a{i} pr" for i in range(2000))
    node = parse(text, max_length=len(text))
    assert node.right == Present(p("a1999"))
    assert to_string(node) == text


def test_max_depth():
    assert parse("(" * 32 + "a pr" + ")" * 32) == Present(p("a"))
    with pytest.raises(InvalidFilter, match="nested deeper than 32"):
        parse("(" * 33 + "a pr" + ")" * 33)
    with pytest.raises(InvalidFilter):
        parse("not (" * 40 + "a pr" + ")" * 40)
    assert parse("((a pr))", max_depth=2) == Present(p("a"))


def test_error_names_position_and_expectation():
    with pytest.raises(InvalidFilter) as info:
        parse('userName zz "x"')
    assert "position 9" in info.value.detail
    assert "operator" in info.value.detail
    assert info.value.scim_type == "invalidFilter"


MALFORMED = [
    "",
    "   ",
    "\t",
    "userName",
    "userName eq",
    "userName eq ",
    'eq "x"',
    "userName eq jyoung",
    "externalId eq jyoung",
    'userName zz "x"',
    'userName pr "x"',
    'userName eq "x" "y"',
    "userName eq 'x'",
    '(userName eq "x"',
    'userName eq "x")',
    '((userName eq "x")',
    "()",
    'emails[type eq "work"',
    'emails type eq "work"]',
    'emails[type eq "work"]]',
    "emails[]",
    'emails[type[value eq "x"] pr]',
    'emails[types[value eq "x"]]',
    'emails[type eq "work"][value eq "x"]',
    'emails [type eq "work"]',
    'name.givenName[value eq "x"]',
    'emails[type eq "work"].value',
    'emails[type eq "work"]. value eq "x"',
    'emails[type eq "work"].value.x eq "x"',
    'emails[type eq "work"] eq "x"',
    'emails[urn:x:type eq "work"]',
    'emails[type.sub eq "work"]',
    'not userName eq "x"',
    "not",
    "not (",
    "not ()",
    'userName eq "x" and',
    'userName eq "x" or',
    'and userName eq "x"',
    'userName eq "x" and or b pr',
    'userName eq "x" b',
    'a eq "x" b',
    'userName eq "unterminated',
    'userName eq "x\\"',
    'userName eq "\\q"',
    'userName eq "\\u12"',
    'userName eq "\\u12G4"',
    'userName eq "\\ud800"',
    'userName eq "\\udc00"',
    'userName eq "\\ud800\\u0041"',
    'userName eq "\\u0000"',
    'userName eq "a\x00"',
    "user\x00Name pr",
    'userName eq "line\nbreak"',
    'userName eq "tab\there"',
    'userName eq "\ud800"',
    "1 eq 1",
    "_a eq 1",
    "-a eq 1",
    ".a eq 1",
    "a. eq 1",
    "a.b.c eq 1",
    "a..b eq 1",
    "a.1 eq 1",
    "ä eq 1",
    "a$ eq 1",
    "$reff eq 1",
    "urn: eq 1",
    "urn:x: eq 1",
    "urn::a eq 1",
    "urn:a eq 1",
    "urn:a:b.c.d eq 1",
    "urn:a b:c eq 1",
    "n eq 01",
    "n eq 1.",
    "n eq .5",
    "n eq +1",
    "n eq 1e",
    "n eq 0x10",
    "n eq NaN",
    "n eq Infinity",
    "n eq 1e999",
    "n eq ١",
    "active eq yes",
    "active eq truee",
    "a eq (b pr)",
    "a eq [1]",
    "a pr pr",
    "a eq 1 eq 1",
    "a eq 1 and (b pr",
    "a eq 1\nand b pr",
    "(" * 10000 + "a pr" + ")" * 10000,
    "not (" * 10000 + "a pr" + ")" * 10000,
    "a" * 100_000 + " pr",
    " and ".join(["a pr"] * 1000),
]


@pytest.mark.parametrize("text", MALFORMED)
def test_malformed(text):
    with pytest.raises(InvalidFilter):
        parse(text)


def test_max_length():
    assert parse("a pr", max_length=4) == Present(p("a"))
    with pytest.raises(InvalidFilter, match="longer than 4 characters"):
        parse("a pr ", max_length=4)


def test_huge_integer_is_invalid_not_valueerror():
    with pytest.raises(InvalidFilter):
        parse("n eq " + "9" * 5000, max_length=10_000)


@pytest.mark.parametrize("value", [None, 42, b"a pr"])
def test_non_string_input(value):
    with pytest.raises(InvalidFilter):
        parse(value)


VALID_PATHS = [
    ("userName", PatchPath(p("userName"))),
    ("  active  ", PatchPath(p("active"))),
    ("name.givenName", PatchPath(p("name", "givenName"))),
    ("members", PatchPath(p("members"))),
    (f"{ENTERPRISE}:manager", PatchPath(p("manager", urn=ENTERPRISE))),
    (f"{ENTERPRISE}:manager.value", PatchPath(p("manager", "value", ENTERPRISE))),
    (f"{USER}:name.familyName", PatchPath(p("name", "familyName", USER))),
    ('members[value eq "2819c223"]', PatchPath(p("members"), eq("value", "2819c223"))),
    ('manager[value eq "abc"]', PatchPath(p("manager"), eq("value", "abc"))),
    ('emails[type eq "work"].value', PatchPath(p("emails"), eq("type", "work"), "value")),
    (
        'addresses[type eq "other"].Formatted',
        PatchPath(p("addresses"), eq("type", "other"), "Formatted"),
    ),
    (
        'emails[type eq "work" and primary eq true].display',
        PatchPath(p("emails"), And(eq("type", "work"), eq("primary", True)), "display"),
    ),
    (
        f'{USER}:emails[type eq "work"].value',
        PatchPath(p("emails", urn=USER), eq("type", "work"), "value"),
    ),
    (
        'members[value eq "a" or value eq "b"]',
        PatchPath(p("members"), Or(eq("value", "a"), eq("value", "b"))),
    ),
]


@pytest.mark.parametrize(("text", "expected"), VALID_PATHS)
def test_parse_path(text, expected):
    assert parse_path(text) == expected
    assert parse_path(to_string(expected)) == expected


INVALID_PATHS = [
    "",
    "  ",
    "1abc",
    "name.",
    "name.givenName.x",
    ".name",
    "urn:",
    "urn:x:",
    "emails[",
    "emails[]",
    'emails[type eq "work"',
    'emails[type eq "work"]x',
    'emails[type eq "work"].',
    'emails[type eq "work"].value.x',
    'emails[type eq "work"][value eq "x"]',
    'emails[type[value eq "x"] pr]',
    'name.givenName[value eq "x"]',
    'emails[type eq work]',
    'emails[type zz "work"]',
    "emails pr",
    "userName userName",
    "members]",
    "a\x00",
    "(members)",
    "x" * 2000,
]


@pytest.mark.parametrize("text", INVALID_PATHS)
def test_parse_path_invalid(text):
    with pytest.raises(InvalidPath):
        parse_path(text)


TO_STRING = [
    (And(Or(Present(p("a")), Present(p("b"))), Present(p("c"))), "(a pr or b pr) and c pr"),
    (Or(Present(p("a")), And(Present(p("b")), Present(p("c")))), "a pr or b pr and c pr"),
    (And(Present(p("a")), And(Present(p("b")), Present(p("c")))), "a pr and (b pr and c pr)"),
    (Or(Present(p("a")), Or(Present(p("b")), Present(p("c")))), "a pr or (b pr or c pr)"),
    (Not(And(Present(p("a")), Present(p("b")))), "not (a pr and b pr)"),
    (eq("s", 'say "hi"\n\\'), 's eq "say \\"hi\\"\\n\\\\"'),
    (eq("n", 1.5), "n eq 1.5"),
    (eq("n", None), "n eq null"),
    (eq("b", False), "b eq false"),
    (Compare(p("manager", "value", ENTERPRISE), "eq", "x"), f'{ENTERPRISE}:manager.value eq "x"'),
    (ValuePath(p("emails"), eq("type", "work")), 'emails[type eq "work"]'),
    (PatchPath(p("emails"), eq("type", "work"), "value"), 'emails[type eq "work"].value'),
]


@pytest.mark.parametrize(("node", "text"), TO_STRING)
def test_to_string(node, text):
    assert to_string(node) == text
    assert parse(text) == node if not isinstance(node, PatchPath) else parse_path(text) == node


@pytest.mark.parametrize("text, attr, expected", [
    ('userName eq "Ann@Example.com"', "username", "Ann@Example.com"),
    ('USERNAME eq "ann"', "username", "ann"),
    ('displayName eq "Sales"', "displayname", "Sales"),
    ('displayName eq "Sales"', "username", None),
    ('userName ne "ann"', "username", None),
    ('userName eq 5', "username", None),
    ('name.givenName eq "ann"', "name", None),
    ('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "ann"', "username", None),
    ('userName eq "ann" and active eq true', "username", None),
    ('emails[value eq "ann"]', "emails", None),
])
def test_equality_value_recognises_only_a_plain_key_lookup(text, attr, expected):
    assert equality_value(parse(text), attr) == expected
