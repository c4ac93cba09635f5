r"""SCIM filter and path parser (RFC 7644 §3.4.2.2, §3.5.2).

parse(text) turns a filter into a tree of the frozen dataclasses below;
parse_path(text) turns a PATCH path into a PatchPath; to_string(node) prints
a tree back as filter text that parses to the same tree.

Decisions beyond the ABNF:
- Keywords and operators are case-insensitive; attribute names keep their spelling.
- Numbers follow JSON strictly: a leading zero such as `01` is rejected.
- Strings follow JSON strictly (no raw control characters), and NUL (`\u0000`) and
  lone surrogates are rejected because no database column can hold them.
- Depth counts groups: `(...)`, `not (...)` and `attr[...]`. `and`/`or` chains are
  built iteratively (left-associative), so their length is bounded only by max_length.
- Inside `attr[...]` paths are bare sub-attribute names (no URN, no `.sub`, no brackets).
"""

import json
import math
import re
from dataclasses import dataclass

from scim.errors import InvalidFilter
from scim.errors import InvalidPath


@dataclass(frozen=True)
class AttrPath:
    """`[urn:]attr[.sub]`; `urn` is None when the path has no schema prefix."""

    urn: str | None
    attr: str
    sub: str | None = None


@dataclass(frozen=True)
class Compare:
    """`path op value`; op is lower-case, value is str, int, float, bool or None."""

    path: AttrPath
    op: str
    value: object


@dataclass(frozen=True)
class Present:
    path: AttrPath


@dataclass(frozen=True)
class And:
    left: object
    right: object


@dataclass(frozen=True)
class Or:
    left: object
    right: object


@dataclass(frozen=True)
class Not:
    expr: object


@dataclass(frozen=True)
class ValuePath:
    """`attr[filter]`: the inner filter's paths are relative to one value of `path`."""

    path: AttrPath
    filter: object


@dataclass(frozen=True)
class PatchPath:
    """A PATCH target: `attr`, `attr.sub`, `attr[filter]` or `attr[filter].sub`."""

    attr: AttrPath
    filter: object | None = None
    sub: str | None = None


OPERATORS = ("eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le")
_LITERALS = {"true": True, "false": False, "null": None}
_ATTRNAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*|\$ref")
_URN = re.compile(r"urn(:[A-Za-z0-9._~!$&'*+,;=@/%-]+)+", re.IGNORECASE)
_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_SPACE = " \t"
_WORD_END = frozenset(' \t()[]"')
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def parse(text: str, *, max_length: int = 4096, max_depth: int = 32):
    """Parse a filter expression (RFC 7644 §3.4.2.2) into an AST.

    :raise InvalidFilter: for any malformed, too long or too deeply nested input.
    """
    parser = _Parser(text, max_length, max_depth, InvalidFilter, "filter")
    node = parser.expression()
    parser.finish()
    return node


def equality_value(tree, attr: str) -> str | None:
    """The string of `<attr> eq "string"` on a core attribute (a lookup by key), else None.

    `attr` is lower case. Entra and Okta look users and groups up this way; the services
    answer it with a statement built once instead of compiling the filter.
    """
    if (isinstance(tree, Compare) and tree.op == "eq" and isinstance(tree.value, str)
            and tree.path.urn is None and tree.path.sub is None
            and tree.path.attr.lower() == attr):
        return tree.value
    return None


def parse_path(text: str, *, max_length: int = 1024) -> PatchPath:
    """Parse a PATCH operation path (RFC 7644 §3.5.2, `PATH` ABNF).

    :raise InvalidPath: for any malformed input, including a malformed inner filter.
    """
    parser = _Parser(text, max_length, 32, InvalidPath, "path")
    node = PatchPath(parser.attr_path())
    if parser.peek() == "[":
        inner = parser.bracket(node.attr)
        node = PatchPath(node.attr, inner, parser.name() if parser.dot() else None)
    parser.finish()
    return node


class _Parser:
    """A cursor over the text; one method per ABNF rule, each leaving `pos` after its match."""

    def __init__(self, text, max_length, max_depth, error, what):
        if not isinstance(text, str):
            raise error(f"{what} must be a string")
        if len(text) > max_length:
            raise error(f"{what} longer than {max_length} characters")
        self.text, self.pos, self.error, self.what = text, 0, error, what
        self.depth, self.max_depth, self.in_brackets = 0, max_depth, False

    def fail(self, expected: str, at: int | None = None):
        at = self.pos if at is None else at
        while at < len(self.text) and self.text[at] in _SPACE:
            at += 1
        found = repr(self.text[at : at + 10]) if at < len(self.text) else "end of input"
        detail = f"expected {expected} at position {at}, found {found}"
        raise self.error(f"invalid {self.what}: {detail}")

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in _SPACE:
            self.pos += 1

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def word(self) -> str:
        """Consume a run of characters up to whitespace, a bracket, a paren or a quote."""
        self.skip_space()
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in _WORD_END:
            self.pos += 1
        return self.text[start : self.pos]

    def keyword(self, keyword: str) -> bool:
        start = self.pos
        if self.word().lower() == keyword:
            return True
        self.pos = start
        return False

    def finish(self) -> None:
        self.skip_space()
        if self.pos < len(self.text):
            self.fail("'and', 'or' or the end" if self.what == "filter" else "the end of the path")

    # FILTER = attrExp / logExp / valuePath / *1"not" "(" FILTER ")"; and binds tighter than or.
    def expression(self):
        node = self.conjunction()
        while self.keyword("or"):
            node = Or(node, self.conjunction())
        return node

    def conjunction(self):
        node = self.factor()
        while self.keyword("and"):
            node = And(node, self.factor())
        return node

    def factor(self):
        self.skip_space()
        if self.peek() == "(":
            return self.group()
        if self.keyword("not"):
            self.skip_space()
            if self.peek() != "(":
                self.fail("'(' after 'not'")
            return Not(self.group())
        return self.attr_expression()

    def group(self, close: str = ")"):
        """Read `(FILTER)`, or `[valFilter]` when close is "]"; each is one level of depth."""
        self.depth += 1
        if self.depth > self.max_depth:
            raise self.error(f"{self.what} nested deeper than {self.max_depth} levels")
        self.pos += 1
        node = self.expression()
        self.skip_space()
        if self.peek() != close:
            self.fail(f"{close!r}")
        self.pos += 1
        self.depth -= 1
        return node

    def dot(self) -> bool:
        found = self.peek() == "."
        self.pos += found
        return found

    def attr_expression(self):
        path = self.attr_path()
        if self.peek() == "[":
            return self.value_path(path)
        return self.comparison(path)

    def value_path(self, path: AttrPath) -> ValuePath:
        inner = self.bracket(path)
        if self.dot():
            # Entra sends `emails[type eq "work"].value eq "x"`, outside the RFC ABNF.
            inner = And(inner, self.comparison(AttrPath(None, self.name())))
        return ValuePath(path, inner)

    def bracket(self, path: AttrPath):
        if self.in_brackets:
            self.fail("']' (value filters cannot be nested)")
        if path.sub is not None:
            self.fail("an attribute without sub-attribute before '['")
        self.in_brackets = True
        inner = self.group("]")
        self.in_brackets = False
        return inner

    def comparison(self, path: AttrPath):
        start = self.pos
        op = self.word().lower()
        if op == "pr":
            return Present(path)
        if op not in OPERATORS:
            self.fail("an operator (eq, ne, co, sw, ew, gt, lt, ge, le, pr)", start)
        return Compare(path, op, self.value())

    def attr_path(self) -> AttrPath:
        """Read `attrPath = [URI ":"] ATTRNAME *1subAttr`; the URI ends at the last colon."""
        self.skip_space()
        start = self.pos
        word = self.word()
        urn = None
        if word[:4].lower() == "urn:":
            urn, _, word = word.rpartition(":")
            if not _URN.fullmatch(urn):
                self.fail("a schema URN", start)
            if self.in_brackets:
                self.fail("a sub-attribute name without URN inside '[...]'", start)
        attr, dot, sub = word.partition(".")
        if not _ATTRNAME.fullmatch(attr) or (dot and not _ATTRNAME.fullmatch(sub)):
            self.fail("an attribute path such as 'userName' or 'name.givenName'", start)
        if dot and self.in_brackets:
            self.fail("a sub-attribute name without '.' inside '[...]'", start)
        return AttrPath(urn, attr, sub if dot else None)

    def name(self) -> str:
        start = self.pos
        word = "" if self.peek() in ("", " ", "\t") else self.word()
        if not _ATTRNAME.fullmatch(word):
            self.fail("a sub-attribute name", start)
        return word

    def value(self):
        """Read `compValue = false / null / true / number / string` (JSON, ECMA-404)."""
        self.skip_space()
        if self.peek() == '"':
            return self.string()
        start = self.pos
        word = self.word()
        if word.lower() in _LITERALS:
            return _LITERALS[word.lower()]
        if not _NUMBER.fullmatch(word):
            self.fail("a value: a quoted string, a number, true, false or null", start)
        return self.number(word, start)

    def number(self, word: str, start: int):
        try:
            number = int(word) if word.lstrip("-").isdigit() else float(word)
        except ValueError:  # more digits than int() accepts
            self.fail("a number of reasonable size", start)
        if isinstance(number, float) and not math.isfinite(number):
            self.fail("a number of reasonable size", start)
        if isinstance(number, int) and not -(2**63) <= number < 2**63:
            self.fail("a number of reasonable size (64-bit)", start)  # SQLite's INTEGER
        return number

    def string(self) -> str:
        start, out = self.pos, []
        self.pos += 1
        while True:
            char = self.peek()
            if char == '"':
                self.pos += 1
                return "".join(out)
            if char == "":
                self.fail("a closing '\"'", start)
            if char < " " or "\ud800" <= char <= "\udfff":
                self.fail("a printable character inside the string")
            if char == "\\":
                char = self.escape()
            else:
                self.pos += 1
            out.append(char)

    def escape(self) -> str:
        code = self.text[self.pos + 1 : self.pos + 2]
        if code in _ESCAPES:
            self.pos += 2
            return _ESCAPES[code]
        if code != "u":
            self.fail("a JSON escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)")
        start, high = self.pos, self.hex4()
        if 0xD800 <= high <= 0xDBFF and self.text[self.pos : self.pos + 2] == "\\u":
            low = self.hex4()
            if 0xDC00 <= low <= 0xDFFF:
                return chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
        if high == 0 or 0xD800 <= high <= 0xDFFF:
            self.fail("a character other than NUL or a lone surrogate", start)
        return chr(high)

    def hex4(self) -> int:
        digits = self.text[self.pos + 2 : self.pos + 6]
        if len(digits) != 4 or any(c not in "0123456789abcdefABCDEF" for c in digits):
            self.fail("four hex digits after '\\u'")
        self.pos += 6
        return int(digits, 16)


def to_string(node) -> str:
    """Print an AST (or a PatchPath) as filter text that parses back to the same AST."""
    if isinstance(node, PatchPath):
        return path_to_string(node)
    if isinstance(node, (And, Or)):
        return _chain(node)
    if isinstance(node, Not):
        return f"not ({to_string(node.expr)})"
    if isinstance(node, ValuePath):
        return f"{attr_to_string(node.path)}[{to_string(node.filter)}]"
    if isinstance(node, Present):
        return f"{attr_to_string(node.path)} pr"
    if isinstance(node, Compare):
        return f"{attr_to_string(node.path)} {node.op} {value_to_string(node.value)}"
    raise TypeError(f"not a filter node: {node!r}")


def _chain(node) -> str:
    """Print an and/or chain without recursing down its left spine (chains can be long)."""
    kind, rights = type(node), []
    while isinstance(node, kind):
        rights.append(node.right)
        node = node.left
    parts = []
    for operand in (node, *reversed(rights)):
        # Parentheses where precedence (and > or) or left-associativity would regroup.
        grouped = isinstance(operand, Or) or (kind is And and isinstance(operand, And))
        parts.append(f"({to_string(operand)})" if grouped else to_string(operand))
    return (" and " if kind is And else " or ").join(parts)


def attr_to_string(path: AttrPath) -> str:
    text = f"{path.urn}:{path.attr}" if path.urn else path.attr
    return f"{text}.{path.sub}" if path.sub else text


def path_to_string(path: PatchPath) -> str:
    text = attr_to_string(path.attr)
    if path.filter is not None:
        text += f"[{to_string(path.filter)}]"
    return f"{text}.{path.sub}" if path.sub else text


def value_to_string(value) -> str:
    """Print a compValue as JSON; raises ValueError for NaN/infinity, TypeError for others."""
    if value is not None and not isinstance(value, str | int | float):
        raise TypeError(f"not a filter value: {value!r}")
    return json.dumps(value, ensure_ascii=False, allow_nan=False)
