"""The printer: print(parse(x)) parses back to the same tree, for generated trees too."""

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from mappings.catalog import ARITY
from mappings.catalog import TOP_LEVEL_ONLY
from mappings.parser import parse
from mappings.printer import to_text
from mappings.syntax import COMPARISONS
from mappings.syntax import CONSTANTS
from mappings.syntax import Attribute
from mappings.syntax import Call
from mappings.syntax import Compare
from mappings.syntax import Empty
from mappings.syntax import Name
from mappings.syntax import Number
from mappings.syntax import String
from tests.mappings.test_mapping_functions import REFERENCE

NESTABLE = sorted(name for name in ARITY if name not in TOP_LEVEL_ONLY)
names = st.text(st.characters(blacklist_characters="[]\n", blacklist_categories=("Cs",)),
                min_size=1, max_size=12).filter(str.strip)
leaves = st.one_of(
    names.map(Attribute),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=12).map(String),
    st.integers(-10**6, 10**6).map(lambda n: Number(str(n))),
    st.integers(0, 2**32).map(lambda n: Number(f"&H{n:X}")),
    st.sampled_from(CONSTANTS).map(Name),
)


def _argument_counts(name):
    arity = ARITY[name]
    most = arity.most if arity.most is not None else arity.least + 3
    return [n for n in range(arity.least, most + 1) if arity.accepts(n)]


@st.composite
def calls(draw, children):
    name = draw(st.sampled_from(NESTABLE))
    count = draw(st.sampled_from(_argument_counts(name)))
    # One lone empty argument prints as "F()", which is a call with none.
    argument = children if count == 1 else st.one_of(children, st.just(Empty()))
    return Call(name, tuple(draw(argument) for _ in range(count)))


def operands(children):
    return st.one_of(calls(children), leaves)


trees = st.recursive(leaves, lambda children: st.one_of(
    calls(children),
    st.builds(Compare, st.sampled_from(COMPARISONS), operands(children), operands(children)),
), max_leaves=25)


@settings(max_examples=400, deadline=None)
@given(trees)
def test_printed_trees_parse_back_to_the_same_tree(tree):
    assert parse(to_text(tree)) == tree


@pytest.mark.parametrize("expression", sorted({row[0] for row in REFERENCE}))
def test_reference_expressions_round_trip(expression):
    tree = parse(expression)
    assert parse(to_text(tree)) == tree
    assert to_text(parse(to_text(tree))) == to_text(tree)
