"""Evaluate a whole mapping for one person: a value, or an error, per target."""

from dataclasses import dataclass
from functools import lru_cache

from mappings.evaluator import Context
from mappings.evaluator import evaluate
from mappings.evaluator import render
from mappings.mapfile import Row
from mappings.parser import parse
from mappings.syntax import ExpressionError
from mappings.targets import TargetError
from mappings.targets import parse_target


@dataclass(frozen=True)
class Outcome:
    row: Row
    value: object = None  # text, a list of texts, or None: what Entra would send
    dropped: bool = False
    error: ExpressionError | None = None
    warnings: tuple = ()

    @property
    def sent(self) -> bool:
        return self.error is None and not self.dropped and self.value not in (None, "", [])


class BadTarget(ExpressionError):
    kind = "target error"


@lru_cache(maxsize=1024)
def _tree(expression: str):
    """Parsed once per process: the directory check evaluates each row for every person."""
    return parse(expression)


def run(rows: list[Row], source: dict, context: Context | None = None) -> list[Outcome]:
    outcomes = []
    for row in rows:
        try:
            parse_target(row.target)
        except TargetError as error:
            outcomes.append(Outcome(row, error=BadTarget(str(error))))
            continue
        try:
            result = evaluate(_tree(row.expression), source, context)
        except ExpressionError as error:
            outcomes.append(Outcome(row, error=error))
            continue
        outcomes.append(Outcome(row, render(result.value), result.dropped,
                                warnings=result.warnings))
    return outcomes


def values(outcomes: list[Outcome]) -> dict:
    """{target: value} of what Entra would send; no value, error or drop leaves it out."""
    return {o.row.target: o.value for o in outcomes if o.sent}
