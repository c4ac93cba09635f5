"""Bounds on parsing and evaluation, so a typo in an admin's expression can't hang a worker.

Nothing in the language loops, so the step count is bounded by the size of the tree; the
costly parts are long strings and regular expressions, bounded by size and a timeout.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    max_length: int = 4000  # characters in an expression
    max_depth: int = 32  # nested calls and comparisons
    max_output: int = 10_000  # characters in any value an expression computes
    max_items: int = 1000  # values in a multi-valued result
    max_steps: int = 10_000  # nodes evaluated
    regex_timeout: float = 0.25  # seconds for one regular-expression call


DEFAULT = Limits()
