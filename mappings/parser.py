r"""Parse an expression into the tree of mappings/syntax.py.

Grammar (Microsoft Learn, "Reference for writing expressions for attribute mappings in
Microsoft Entra ID", Syntax overview; comparisons from its IIF and CBool sections):

    expression := operand [ comparison operand ]
    operand    := Name "(" [ argument { "," argument } ] ")" | "[" attribute "]"
                | '"' string '"' | number | constant
    argument   := expression | nothing            (an empty argument: no value)
    number     := ["-"] digits ["." digits] | "&H" hexdigits

Strings escape `"` and `\` with a backslash; any other backslash stands for itself, so the
reference's regular expressions (`"\\d{10}"`) read as written. Function names are checked
here, case-sensitively as the reference says, with their argument counts.
"""

from mappings.catalog import ARITY
from mappings.catalog import TOP_LEVEL_ONLY
from mappings.catalog import suggestion
from mappings.limits import DEFAULT
from mappings.limits import Limits
from mappings.syntax import COMPARISONS
from mappings.syntax import CONSTANTS
from mappings.syntax import Attribute
from mappings.syntax import Call
from mappings.syntax import Compare
from mappings.syntax import Empty
from mappings.syntax import Name
from mappings.syntax import Number
from mappings.syntax import ParseError
from mappings.syntax import String

_SPACE = " \t\r\n"
_HEX = "0123456789abcdefABCDEF"


def parse(text: str, limits: Limits = DEFAULT):
    """The tree of one expression.

    :raise ParseError: with the 1-based position of the first mistake.
    """
    if len(text) > limits.max_length:
        raise ParseError(f"the expression is longer than {limits.max_length} characters",
                         limits.max_length + 1)
    parser = _Parser(text, limits)
    parser.skip()
    if parser.at_end():
        raise ParseError("the expression is empty", 1)
    tree = parser.expression(depth=0)
    parser.skip()
    if not parser.at_end():
        raise ParseError(f"unexpected {parser.describe()} after the end of the expression",
                         parser.pos + 1)
    return tree


class _Parser:
    def __init__(self, text: str, limits: Limits):
        self.text = text
        self.pos = 0
        self.limits = limits

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def skip(self) -> None:
        while self.peek() and self.peek() in _SPACE:
            self.pos += 1

    def describe(self) -> str:
        char = self.peek()
        return "end of the expression" if not char else repr(char)

    def fail(self, message: str, at: int | None = None):
        raise ParseError(message, (self.pos if at is None else at) + 1)

    def expression(self, depth: int):
        if depth > self.limits.max_depth:
            self.fail(f"the expression nests deeper than {self.limits.max_depth} levels")
        left = self.operand(depth)
        self.skip()
        op = self.comparison()
        if op is None:
            return left
        start = self.pos
        self.pos += len(op)
        self.skip()
        right = self.operand(depth)
        self.skip()
        if self.comparison() is not None:
            self.fail("comparisons can't be chained; nest IIF calls instead")
        return Compare(op, left, right, pos=start + 1)

    def comparison(self) -> str | None:
        rest = self.text[self.pos:self.pos + 2]
        return next((op for op in COMPARISONS if rest.startswith(op)), None)

    def operand(self, depth: int):
        char = self.peek()
        if char == "[":
            return self.attribute()
        if char == '"':
            return self.string()
        if char.isdigit() or char in "-&":
            return self.number()
        if char.isalpha() or char == "_":
            return self.call_or_name(depth)
        if not char:
            self.fail("the expression ends where a value was expected")
        self.fail(f"expected a function, [attribute], \"string\" or number, found {char!r}")

    def attribute(self) -> Attribute:
        start = self.pos
        end = self.text.find("]", start + 1)
        name = self.text[start + 1:end] if end != -1 else ""
        if end == -1 or "\n" in name or "[" in name:
            self.fail("the attribute name opened here has no closing ]", start)
        if not name.strip():
            self.fail("an attribute name is missing between [ and ]", start)
        self.pos = end + 1
        return Attribute(name, pos=start + 1)

    def string(self) -> String:
        start = self.pos
        self.pos += 1
        out = []
        while not self.at_end():
            char = self.text[self.pos]
            if char == '"':
                self.pos += 1
                return String("".join(out), pos=start + 1)
            if char == "\\" and self.text[self.pos + 1:self.pos + 2] in ('"', "\\"):
                self.pos += 1
                char = self.text[self.pos]
            out.append(char)
            self.pos += 1
        self.fail('the string opened here has no closing " (write \\" for a quote inside it)',
                  start)

    def number(self) -> Number:
        start = self.pos
        if self.text.startswith(("&H", "&h"), start):
            self.pos += 2
            self._digits(_HEX, "hexadecimal digits after &H")
        else:
            if self.peek() == "-":
                self.pos += 1
            self._digits("0123456789", "a digit")
            if self.peek() == "." and self.text[self.pos + 1:self.pos + 2].isdigit():
                self.pos += 1
                self._digits("0123456789", "a digit")
        return Number(self.text[start:self.pos], pos=start + 1)

    def _digits(self, allowed: str, expected: str) -> None:
        start = self.pos
        while self.peek() and self.peek() in allowed:
            self.pos += 1
        if self.pos == start:
            self.fail(f"expected {expected}, found {self.describe()}")

    def call_or_name(self, depth: int):
        start = self.pos
        while self.peek().isalnum() or self.peek() == "_":
            self.pos += 1
        word = self.text[start:self.pos]
        after = self.pos
        self.skip()
        if self.peek() != "(":
            if word in CONSTANTS:
                self.pos = after
                return Name(word, pos=start + 1)
            if word in ARITY:
                self.fail(f"{word} is a function: put its arguments in parentheses, as in "
                          f"{word}(…)", after)
            self.fail(f"{word!r} is not a function call or a constant; an attribute needs "
                      f"square brackets, as in [{word}]", start)
        self._check_name(word, start, depth)
        self.pos += 1
        args = self.arguments(depth + 1)
        arity = ARITY[word]
        if not arity.accepts(len(args)):
            self.fail(f"{word} takes {arity.describe()}, not {len(args)}", start)
        return Call(word, tuple(args), pos=start + 1)

    def _check_name(self, word: str, start: int, depth: int) -> None:
        if word not in ARITY:
            known = suggestion(word)
            hint = f"; did you mean {known}? (names are case-sensitive)" if known else ""
            self.fail(f"unknown function {word!r}{hint}", start)
        if word in TOP_LEVEL_ONLY and depth > 0:
            self.fail(f"{word} must be the whole expression; it can't be nested", start)

    def arguments(self, depth: int) -> list:
        self.skip()
        if self.peek() == ")":
            self.pos += 1
            return []
        args = []
        while True:
            self.skip()
            if self.peek() in (",", ")"):
                args.append(Empty(pos=self.pos + 1))
            else:
                args.append(self.expression(depth))
            self.skip()
            char = self.peek()
            self.pos += 1
            if char == ")":
                return args
            if char != ",":
                self.pos -= 1
                self.fail(f"expected , or ) after an argument, found {self.describe()}")
