"""Property tests for scim.filter: no stray exceptions, and printing round-trips."""

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

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
from scim.filter import parse
from scim.filter import parse_path
from scim.filter import to_string

FAST = settings(max_examples=300, deadline=None)

TOKENS = [
    "userName", "name.givenName", "emails", "emails.value", "$ref", "a.b.c", "1abc",
    "urn:ietf:params:scim:schemas:core:2.0:User:userName", "urn:", "urn:x:", ":",
    "eq", "NE", "co", "sw", "ew", "gt", "lt", "ge", "le", "pr", "zz",
    "and", "OR", "not", "(", ")", "[", "]", ".", '"x"', '"', '"\\u12"', '"\\ud800"', '"\\q"',
    "true", "False", "null", "0", "-1.5e3", "01", "1e999", "jyoung", " ", "\t", "\x00", "\n", "é", "\ud800",
]
STRING_BITS = ["\\", "u", '"', "d", "D", "8", "c", "0", "1", "f", "A", "\x00", "\ud800", "\udfff", "é"]
soup = st.lists(st.sampled_from(TOKENS), max_size=30)
strings = st.text(st.sampled_from(STRING_BITS), max_size=20).map(lambda s: f'a eq "{s}"')
filter_like = st.one_of(st.text(), soup.map(" ".join), soup.map("".join), strings)


@FAST
@given(filter_like)
def test_parse_raises_only_invalid_filter(text):
    try:
        parse(text)
    except InvalidFilter:
        pass


@FAST
@given(filter_like)
def test_parse_path_raises_only_invalid_path(text):
    try:
        parse_path(text)
    except InvalidPath:
        pass


@FAST
@given(st.integers(min_value=0, max_value=200), st.sampled_from(["(", "not (", "a[", "(a pr or "]))
def test_deep_nesting_is_invalid_filter_not_recursion_error(depth, opener):
    try:
        parse(opener * depth + "b pr" + ")" * depth)
    except InvalidFilter:
        pass


# `not` is excluded as a name: at the start of an expression it is the keyword.
NAMES = st.one_of(
    st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,6}", fullmatch=True).filter(
        lambda name: name.lower() != "not"
    ),
    st.just("$ref"),
)
URNS = st.sampled_from([
    None,
    "urn:ietf:params:scim:schemas:core:2.0:User",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    "URN:x:y-1",
])
TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12)
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),  # SQLite INTEGER range
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
)
OPERATORS = st.sampled_from(["eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le"])


def leaves(paths):
    return st.one_of(st.builds(Compare, paths, OPERATORS, VALUES), st.builds(Present, paths))


def logic(children):
    return st.one_of(
        st.builds(And, children, children),
        st.builds(Or, children, children),
        st.builds(Not, children),
    )


relative = st.builds(AttrPath, st.none(), NAMES)
absolute = st.builds(AttrPath, URNS, NAMES, st.one_of(st.none(), NAMES))
inner_filters = st.recursive(leaves(relative), logic, max_leaves=4)
value_paths = st.builds(ValuePath, st.builds(AttrPath, URNS, NAMES), inner_filters)
filters = st.recursive(st.one_of(leaves(absolute), value_paths), logic, max_leaves=10)


@FAST
@given(filters)
def test_to_string_round_trips(node):
    text = to_string(node)
    parsed = parse(text, max_length=100_000, max_depth=100)
    assert parsed == node
    # == cannot tell True from 1 or 1 from 1.0; the printed form can
    assert to_string(parsed) == text


patch_paths = st.one_of(
    st.builds(PatchPath, absolute),
    st.builds(
        PatchPath, st.builds(AttrPath, URNS, NAMES), inner_filters, st.one_of(st.none(), NAMES)
    ),
)


@FAST
@given(patch_paths)
def test_path_round_trips(path):
    assert parse_path(to_string(path), max_length=100_000) == path
