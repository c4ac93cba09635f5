"""Evaluate an expression tree for one person's source attribute values.

Arguments are evaluated when a function reads them, so IIF and Switch evaluate only the
branch they take (and IgnoreFlowIfNullOrEmpty in the other branch has no effect).
Every bound of mappings/limits.py is checked here; a breach is an EvaluationError at the
position of the function that caused it.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime

from mappings.limits import DEFAULT
from mappings.limits import Limits
from mappings.parser import parse
from mappings.syntax import Attribute
from mappings.syntax import Call
from mappings.syntax import Compare
from mappings.syntax import Empty
from mappings.syntax import EvaluationError
from mappings.syntax import Name
from mappings.syntax import Number
from mappings.syntax import String
from mappings.values import text


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Context:
    """What an evaluation may read besides the source values: all of it replaceable in tests."""

    clock: Callable[[], datetime] = _utcnow
    rng: random.Random = field(default_factory=random.SystemRandom)
    # SelectUniqueValue asks the target whether a value is taken; None: nothing is.
    is_taken: Callable[[str], bool] | None = None
    limits: Limits = DEFAULT


@dataclass(frozen=True)
class Result:
    value: object
    dropped: bool = False  # IgnoreFlowIfNullOrEmpty: the attribute leaves the flow
    warnings: tuple = ()


def evaluate(expression, source: dict, context: Context | None = None) -> Result:
    """Evaluate expression text or a parsed tree for the source values.

    :raise ExpressionError: ParseError or EvaluationError, with a 1-based position.
    """
    context = context or Context()
    tree = parse(expression, context.limits) if isinstance(expression, str) else expression
    run = Evaluation(source, context)
    value = run.node(tree)
    return Result(value, run.dropped, tuple(run.warnings))


class Arguments:
    """A call's arguments, each evaluated on first read."""

    def __init__(self, run: "Evaluation", call: Call):
        self.run = run
        self.nodes = call.args
        self._values: dict[int, object] = {}

    def __len__(self) -> int:
        return len(self.nodes)

    def value(self, index: int, default=None):
        if index >= len(self.nodes):
            return default
        if index not in self._values:
            self._values[index] = self.run.node(self.nodes[index])
        return self._values[index]

    def given(self, index: int) -> bool:
        """Whether the argument is written at all (not left empty)."""
        return index < len(self.nodes) and not isinstance(self.nodes[index], Empty)


class Evaluation:
    def __init__(self, source: dict, context: Context):
        self.source = source
        self.context = context
        self.limits = context.limits
        self.steps = 0
        self.dropped = False
        self.warnings: list[str] = []

    def node(self, node):
        self.steps += 1
        if self.steps > self.limits.max_steps:
            raise EvaluationError(f"the expression took more than {self.limits.max_steps} "
                                  "steps", node.pos or None)
        if isinstance(node, Call):
            return self.call(node)
        if isinstance(node, Attribute):
            return self.attribute(node.name)
        if isinstance(node, String):
            return node.value
        if isinstance(node, Number):
            return node.value
        if isinstance(node, Name):
            return node.name
        if isinstance(node, Compare):
            return self.compare(node)
        return None  # Empty

    def attribute(self, name: str):
        if name in self.source:
            return self.source[name]
        folded = name.lower()
        return next((v for k, v in self.source.items() if k.lower() == folded), None)

    def call(self, call: Call):
        from mappings.functions import FUNCTIONS

        try:
            value = FUNCTIONS[call.name](self, Arguments(self, call))
        except EvaluationError as error:
            if error.position is None:
                error.position = call.pos
                error.message = f"{call.name}: {error.message}"
                error.args = (error.message,)
            raise
        except (ValueError, OverflowError, ArithmeticError) as error:
            raise EvaluationError(f"{call.name}: {error}", call.pos) from None
        self.check_size(value, call.pos)
        return value

    def check_size(self, value, pos: int) -> None:
        if isinstance(value, list):
            if len(value) > self.limits.max_items:
                raise EvaluationError(f"the value has more than {self.limits.max_items} items",
                                      pos)
            for item in value:
                self.check_size(item, pos)
        elif isinstance(value, str) and len(value) > self.limits.max_output:
            raise EvaluationError(f"the value is longer than {self.limits.max_output} "
                                  "characters", pos)

    def compare(self, node: Compare):
        from mappings.functions import compare

        left, right = self.node(node.left), self.node(node.right)
        if left is None or right is None:
            # The reference, IIF known limitations: a condition on an empty or absent
            # attribute fails.
            self.warnings.append(f"position {node.pos}: a comparison with no value fails; "
                                 "use Switch with an \"\" key to test for empty values")
            return None
        try:
            return compare(node.op, left, right)
        except EvaluationError as error:
            error.position = node.pos
            raise


def render(value) -> str | list | None:
    """The value as Entra would send it: text, a list of texts, or None."""
    if isinstance(value, list):
        return [text(item) for item in value if item is not None]
    return text(value)
