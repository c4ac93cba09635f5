"""Print a tree back as expression text, the inverse of mappings/parser.py."""

from mappings.syntax import Attribute
from mappings.syntax import Call
from mappings.syntax import Compare
from mappings.syntax import Empty
from mappings.syntax import Name
from mappings.syntax import Number
from mappings.syntax import String


def to_text(node) -> str:
    """The expression for a tree; parse(to_text(t)) == t."""
    if isinstance(node, Attribute):
        return f"[{node.name}]"
    if isinstance(node, String):
        return quote(node.value)
    if isinstance(node, Number):
        return node.text
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Empty):
        return ""
    if isinstance(node, Compare):
        return f"{to_text(node.left)} {node.op} {to_text(node.right)}"
    if isinstance(node, Call):
        return f"{node.name}({', '.join(to_text(arg) for arg in node.args)})"
    raise TypeError(f"not an expression node: {node!r}")


def quote(value: str) -> str:
    """A string constant: backslashes and quotes escaped with a backslash."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
