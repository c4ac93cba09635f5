"""Property tests: parsing and evaluating fail only with their own errors.

Any text parses or raises ParseError; any tree evaluates or raises EvaluationError, within
the bounds.
"""

import random
from datetime import UTC
from datetime import datetime

from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from mappings.evaluator import Context
from mappings.evaluator import evaluate
from mappings.evaluator import render
from mappings.limits import Limits
from mappings.parser import parse
from mappings.syntax import Attribute
from mappings.syntax import EvaluationError
from mappings.syntax import ParseError
from mappings.syntax import String
from tests.mappings.test_mapping_printer import calls
from tests.mappings.test_mapping_printer import trees

FAST = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TOKENS = ["Switch(", "Join(", "IIF(", "Mid(", "Replace(", "[mail]", "[a", '"x"', '"\\"', '"',
          ",", ", ,", ")", "(", "=", "<>", ">=", "&H", "&HFF", "-", "-3", "1.5", "vbTextCompare",
          "Guid()", "Now()", " ", "\n", "Ø", "İ", "switch(", "SelectUniqueValue("]
soup = st.lists(st.sampled_from(TOKENS), max_size=25).map("".join)
SOURCE_NAMES = ["a", "mail", "IsSoftDeleted", "d"]
values = st.one_of(st.none(), st.booleans(), st.sampled_from(
    ["", "True", "false", "0", "12", "-3", "2021-08-24", "8/25/2021 5:41:18 PM", "Øyvind İ",
     "a,b", "x" * 50]), st.lists(st.sampled_from(["a", "", "Ø"]), max_size=3))
sources = st.fixed_dictionaries({}, optional={name: values for name in SOURCE_NAMES})
small_trees = st.recursive(
    st.one_of(st.sampled_from(SOURCE_NAMES).map(Attribute),
              st.sampled_from(["", "d", "yyyy", "True", "3", "-1", "a", "(x)"]).map(String)),
    calls, max_leaves=12)


@FAST
@given(st.one_of(st.text(max_size=60), soup))
def test_parse_raises_only_parse_error(text):
    try:
        parse(text)
    except ParseError as error:
        assert error.position is not None and 1 <= error.position <= len(text) + 1


@FAST
@given(st.one_of(small_trees, trees), sources)
def test_evaluate_raises_only_evaluation_error(tree, source):
    context = Context(clock=lambda: datetime(2021, 8, 25, tzinfo=UTC), rng=random.Random(1),
                      limits=Limits(max_output=2000))
    try:
        result = evaluate(tree, source, context)
        rendered = render(result.value)
    except EvaluationError as error:
        assert error.position is not None
        return
    assert rendered is None or isinstance(rendered, str | list)
    if isinstance(rendered, str):
        assert len(rendered) <= 2000

