"""The expression tree and the errors of the mapping language.

Nodes are frozen dataclasses whose equality ignores positions, so a printed and re-parsed
expression compares equal to the original (tests/mappings/test_mapping_printer.py).
"""

from dataclasses import dataclass
from dataclasses import field

# Bare words the reference uses as arguments (InStr's compareType); any other bare word is
# most likely an attribute that lost its brackets, and is reported as such.
CONSTANTS = ("vbBinaryCompare", "vbTextCompare")
COMPARISONS = ("=", "<>", "<=", ">=", "<", ">")


class ExpressionError(Exception):
    """A mistake in an expression; `position` is the 1-based character it was found at."""

    kind = "error"

    def __init__(self, message: str, position: int | None = None):
        super().__init__(message)
        self.message = message
        self.position = position

    def __str__(self) -> str:
        if self.position is None:
            return self.message
        return f"position {self.position}: {self.message}"


class ParseError(ExpressionError):
    kind = "syntax error"


class EvaluationError(ExpressionError):
    kind = "evaluation error"


@dataclass(frozen=True)
class Attribute:
    """`[name]`: a source attribute."""

    name: str
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class String:
    """`"text"`: a string constant, escapes already resolved."""

    value: str
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Number:
    """`7`, `-10` or `&HF7`: kept as written so the printer gives it back unchanged."""

    text: str
    pos: int = field(default=0, compare=False)

    @property
    def value(self) -> int | float:
        if self.text.upper().startswith("&H"):
            return int(self.text[2:], 16)
        return float(self.text) if "." in self.text else int(self.text)


@dataclass(frozen=True)
class Name:
    """A bare constant such as `vbTextCompare`."""

    name: str
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Empty:
    """An argument left out, as in `Switch([x], , "a", "b")`: no value."""

    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple = ()
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Compare:
    """`left = right` and the other comparisons IIF and CBool accept."""

    op: str
    left: object
    right: object
    pos: int = field(default=0, compare=False)


Node = Attribute | String | Number | Name | Empty | Call | Compare
