"""Property tests over HTTP and the database, beyond the pure ones in tests/scim/.

tests/scim/test_filter_properties.py covers: the parser raises only InvalidFilter (and
InvalidPath) on any string, and parse/print/parse round-trips. tests/scim/
test_patch_properties.py covers: the PATCH engine is total and pure on any generated
user. What they cannot see is the database, so here:

* a PATCH through the API either commits whole (user, value rows and change record
  agree) or changes nothing, even when it fails after rows were rewritten;
* any filter over real attributes either runs on the database or is a 400, never a 500
  (a type mismatch in SQL is PostgreSQL's favourite way to say 500).
"""

from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from scim.filter import And
from scim.filter import AttrPath
from scim.filter import Compare
from scim.filter import Not
from scim.filter import Or
from scim.filter import Present
from scim.filter import ValuePath
from scim.filter import to_string
from scim.schema import ENTERPRISE
from tests.hardening.support import patch_body
from tests.hardening.support import table_rows
from tests.hardening.support import user_body
from tests.hardening.support import user_problems
from tests.scim.test_patch_properties import operation as engine_operation

DATA_TABLES = ("users", "user_values", "change_records")
PROPERTY = settings(max_examples=60, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

# Operations that pass the engine but fail later, in the service or at the flush:
# after the value rows were deleted and rewritten, so a rollback must restore them.
too_long = st.fixed_dictionaries({
    "op": st.sampled_from(["add", "replace"]), "path": st.just("emails"),
    "value": st.just([{"value": "x@example.com", "type": "t" * 200}])})
unknown_manager = st.fixed_dictionaries({
    "op": st.just("replace"), "path": st.just(f"{ENTERPRISE}:manager"),
    "value": st.just("no-such-user")})
operations = st.lists(st.one_of(engine_operation, too_long, unknown_manager), min_size=1,
                      max_size=4)


def data_rows() -> dict:
    return {k: v for k, v in table_rows().items() if k in DATA_TABLES}


@PROPERTY
@given(ops=operations)
def test_a_patch_commits_whole_or_changes_nothing(scim, ops):
    user = scim.get("Users", query_string={"filter": 'userName eq "target"'}).get_json()
    if not user["Resources"]:
        scim.post("Users", user_body("target", phoneNumbers=[{"value": "1", "type": "work"}]))
        user = scim.get("Users", query_string={"filter": 'userName eq "target"'}).get_json()
    user_id = user["Resources"][0]["id"]
    before = data_rows()

    response = scim.patch(f"Users/{user_id}", patch_body(*ops))

    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code == 200:
        assert user_problems() == []
        assert scim.get(f"Users/{user_id}").get_json() == response.get_json()
    else:
        assert data_rows() == before


ATTRIBUTES = [
    AttrPath(None, "userName"), AttrPath(None, "name", "givenName"), AttrPath(None, "active"),
    AttrPath(None, "emails", "value"), AttrPath(None, "emails", "primary"),
    AttrPath(None, "emails"), AttrPath(None, "meta", "created"), AttrPath(None, "id"),
    AttrPath(None, "externalId"), AttrPath(None, "title"), AttrPath(None, "addresses", "locality"),
    AttrPath(None, "phoneNumbers", "type"), AttrPath(None, "manager"),
    AttrPath(ENTERPRISE, "manager", "value"), AttrPath(ENTERPRISE, "department"),
    AttrPath(None, "x509Certificates", "value"), AttrPath(None, "groups", "value"),
]
VALUES = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20),
                   st.floats(allow_nan=False, allow_infinity=False),
                   st.sampled_from(["2024-01-01T00:00:00Z", "1999-12-31T23:59:59.5+02:00", "",
                                    "50%_\\", "TRUE", "1e3", "x" * 300]),
                   st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"),
                           max_size=8))
OPERATORS = st.sampled_from(["eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le"])
leaf = st.one_of(st.builds(Compare, st.sampled_from(ATTRIBUTES), OPERATORS, VALUES),
                 st.builds(Present, st.sampled_from(ATTRIBUTES)))
inner = st.one_of(st.builds(Compare, st.sampled_from([AttrPath(None, n) for n in (
    "type", "value", "primary", "display")]), OPERATORS, VALUES))
value_path = st.builds(ValuePath, st.sampled_from([AttrPath(None, "emails"),
                                                   AttrPath(None, "phoneNumbers")]), inner)
filters = st.recursive(st.one_of(leaf, value_path), lambda children: st.one_of(
    st.builds(And, children, children), st.builds(Or, children, children),
    st.builds(Not, children)), max_leaves=4)


@PROPERTY
@given(tree=filters, sort_by=st.sampled_from([None, "userName", "meta.created", "emails",
                                               "name.givenName", "active"]))
def test_any_filter_over_real_attributes_runs_or_is_a_400(scim, tree, sort_by):
    if not scim.get("Users", query_string={"count": "1"}).get_json()["totalResults"]:
        scim.post("Users", user_body("someone@example.com", title="T", name={"givenName": "G"}))
    query = {"filter": to_string(tree), **({"sortBy": sort_by} if sort_by else {})}

    for response in (scim.get("Users", query_string=query),
                     scim.post("Users/.search", {"filter": query["filter"]})):
        assert response.status_code in (200, 400), (query, response.get_data(as_text=True))
        if response.status_code == 400:
            assert response.get_json()["scimType"] in ("invalidFilter", "invalidValue")
