"""Evaluate a whole mapping for one person: a value, or an error, per target."""

from dataclasses import dataclass

from mappings.evaluator import Context
from mappings.evaluator import evaluate
from mappings.evaluator import render
from mappings.mapfile import Row
from mappings.syntax import ExpressionError


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


def run(rows: list[Row], source: dict, context: Context | None = None) -> list[Outcome]:
    outcomes = []
    for row in rows:
        try:
            result = evaluate(row.expression, source, context)
        except ExpressionError as error:
            outcomes.append(Outcome(row, error=error))
            continue
        outcomes.append(Outcome(row, render(result.value), result.dropped,
                                warnings=result.warnings))
    return outcomes


def values(outcomes: list[Outcome]) -> dict:
    """{target: value} of what Entra would send; no value, error or drop leaves it out."""
    return {o.row.target: o.value for o in outcomes if o.sent}
