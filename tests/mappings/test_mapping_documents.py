"""Pure parts of the workbench: targets to SCIM bodies, the JSON file, source lines, presets."""

import json

import pytest

from mappings import presets
from mappings.census import Census
from mappings.mapfile import MappingFileError
from mappings.mapfile import Row
from mappings.mapfile import dumps
from mappings.mapfile import loads
from mappings.sources import SourceError
from mappings.sources import format_source
from mappings.sources import parse_source
from mappings.targets import TargetError
from mappings.targets import document
from mappings.targets import parse_target
from mappings.targets import patch_op
from mappings.targets import read
from mappings.workbench import run
from mappings.workbench import values

ENT = presets.ENTERPRISE
CORE = "urn:ietf:params:scim:schemas:core:2.0:User"


@pytest.mark.parametrize(("text", "parts"), [
    ("userName", (None, "userName", None, None, None)),
    ("name.givenName", (None, "name", None, None, "givenName")),
    ('emails[type eq "work"].value', (None, "emails", "type", "work", "value")),
    ('roles[primary eq "True"].value', (None, "roles", "primary", "True", "value")),
    (f"{ENT}:department", (ENT, "department", None, None, None)),
    (f"{CORE}:displayName", (None, "displayName", None, None, None)),
])
def test_targets(text, parts):
    target = parse_target(text)
    assert (target.schema, target.attribute, target.key, target.match, target.sub) == parts


@pytest.mark.parametrize("text", ["", "emails[type eq work].value", "name..given", "1abc",
                                  'emails[type = "work"]'])
def test_bad_targets(text):
    with pytest.raises(TargetError):
        parse_target(text)


def test_document_places_values_as_entra_sends_them():
    body = document({
        "userName": "øyvind@contoso.example", "active": "False",
        'emails[type eq "work"].value': "Øyvind@contoso.example",
        'phoneNumbers[type eq "mobile"].value': "+47 900 00 000",
        'addresses[type eq "work"].locality': "Tromsø",
        'addresses[type eq "work"].country': "NO",
        "name.givenName": "Øyvind", f"{ENT}:department": "Drift", f"{ENT}:manager": "m-1",
        'roles[primary eq "True"].value': "Admin", "nickName": None,
    }, {"active": "boolean"})
    assert body == {
        "schemas": [CORE, ENT],
        "userName": "øyvind@contoso.example", "active": False,
        "emails": [{"type": "work", "primary": True, "value": "Øyvind@contoso.example"}],
        "phoneNumbers": [{"type": "mobile", "value": "+47 900 00 000"}],
        "addresses": [{"type": "work", "locality": "Tromsø", "country": "NO"}],
        "name": {"givenName": "Øyvind"},
        ENT: {"department": "Drift", "manager": {"value": "m-1"}},
        "roles": [{"primary": True, "value": "Admin"}],
    }
    assert read({"emails": [{"type": "work", "value": "x"}], ENT: {"manager": {"value": "m"}}},
                'emails[type eq "work"].value') == "x"
    assert read({ENT: {"manager": {"value": "m"}}}, f"{ENT}:manager") == "m"


def test_a_value_that_is_not_a_boolean_stays_text_for_rollcall_to_refuse():
    assert document({"active": "Yes"}, {"active": "boolean"})["active"] == "Yes"


def test_patch_op_adds_replaces_and_removes():
    before = {"displayName": "Ingrid", "title": "Lead", "active": "True"}
    after = {"displayName": "Ingrid Ø", "active": "False", 'emails[type eq "work"].value': "i@x"}
    assert patch_op(before, after, {"active": "boolean"}) == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "Replace", "path": "displayName", "value": "Ingrid Ø"},
            {"op": "Remove", "path": "title"},
            {"op": "Replace", "path": "active", "value": False},
            {"op": "Add", "path": 'emails[type eq "work"].value', "value": "i@x"},
        ]}
    assert patch_op(before, dict(before), {}) is None


def test_the_file_format_round_trips_and_reads_a_plain_list():
    rows = presets.MAPPINGS["kantega"][1]
    text = dumps(rows)
    assert json.loads(text)["format"] == "rollcall-entra-mapping"
    assert loads(text) == rows
    assert loads(json.dumps([{"source": "mail", "target": "userName", "matchingPrecedence": 1}])) \
        == [Row("mail", "userName", 1)]


@pytest.mark.parametrize(("data", "message"), [
    ("[1]", "mapping 1: expected an object"),
    ('[{"source": 1, "target": "x"}]', "source and target must be strings"),
    ('[{"source": "a", "target": "x", "matchingPrecedence": true}]', "matchingPrecedence"),
    ('[{"source": "a", "target": "x"}, {"source": "b", "target": "X"}]', "X is mapped twice"),
    ('[{"source": "a", "target": "emails[type eq work]"}]', "is not a target attribute"),
    ('{"version": 2, "mappings": []}', "version 1"),
    ('"text"', 'expected {"mappings": [...]}'),
    ('{"mappings": []}', "the mapping has no rows"),
    (json.dumps([{"source": "a", "target": f"t{i}"} for i in range(101)]),
     "at most 100 rows"),
])
def test_file_errors_name_the_row(data, message):
    with pytest.raises(MappingFileError, match=message.replace("[", r"\[").replace("{", r"\{")):
        loads(data)


def test_a_direct_mapping_is_an_attribute_reference():
    assert Row("mail", "userName").expression == "[mail]"
    assert Row("extension_abc_costCenter", "x").expression == "[extension_abc_costCenter]"
    assert Row('Join(" ", [a])', "x").expression == 'Join(" ", [a])'


def test_source_lines():
    text = "mail = ø@x\n\nproxy = a\nproxy = b\n[IsSoftDeleted] = TRUE\nempty =\nnote = a = b"
    source = parse_source(text)
    assert source == {"mail": "ø@x", "proxy": ["a", "b"], "IsSoftDeleted": True, "empty": "",
                      "note": "a = b"}
    assert parse_source(format_source(source)) == source
    with pytest.raises(SourceError, match="line 2"):
        parse_source("a = 1\nno equals sign")


@pytest.mark.parametrize("who", sorted(presets.PEOPLE))
def test_the_default_mapping_read_backwards_gives_the_same_post(who):
    rows = presets.MAPPINGS["entra-default"][1]
    post = document(values(run(rows, presets.PEOPLE[who][1])), {"active": "boolean"})
    canonical = {k: v for k, v in post.items() if k != "schemas"}
    again = document(values(run(rows, presets.source_from_scim(canonical))),
                     {"active": "boolean"})
    assert again == post


def test_census_sentences_put_failures_first():
    census = Census(total=3, checked=3)
    census.tally("displayName").empty = 3
    census.tally('emails[type eq "work"].value').empty = 2
    census.tally("userName").errors = 1
    census.tally("userName").first_error = "position 1: x"
    census.refused["400 (invalidValue): y"] = 1
    assert census.failing
    assert census.sentences() == [
        "1 person would be refused: 400 (invalidValue): y",
        "1 person would fail on userName: position 1: x",
        "2 people would get an empty work email",
        "No one would get a value for display name",
    ]
    assert not Census(total=0).failing
