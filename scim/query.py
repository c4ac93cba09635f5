"""Compile a parsed SCIM filter (scim.filter) to a SQLAlchemy boolean expression.

Filters are never evaluated in Python: `to_sql` returns one WHERE clause, and
multi-valued attributes become correlated EXISTS subqueries. Every expression it
builds is two-valued (never SQL NULL), so `not (...)` and `ne` behave as in
RFC 7644 §3.4.2.2: an absent attribute matches `ne "x"` and `not (a eq "x")`.

Decisions the RFC leaves open:
- `eq null` means "not present" and `ne null` means "present", exactly `not (a pr)`
  and `a pr`; other operators with null are rejected.
- On a multi-valued attribute every operator means "some value matches" (RFC 7644
  §3.4.2.2), so `emails ne "x"` needs at least one email; `emails eq null` is
  "no email is present".
- `order_by` on a multi-valued attribute raises InvalidValue: "primary, else first
  value" (RFC 7644 §3.4.2.3) cannot be expressed through `Multi.exists`.
"""

import operator
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger
from sqlalchemy import ColumnElement
from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import not_
from sqlalchemy import or_

from scim.errors import InvalidFilter
from scim.errors import InvalidValue
from scim.filter import And
from scim.filter import AttrPath
from scim.filter import Compare
from scim.filter import Not
from scim.filter import Or
from scim.filter import Present
from scim.filter import ValuePath
from scim.filter import attr_to_string


@dataclass(frozen=True)
class Column:
    """A single-valued attribute stored in one SQL expression."""

    expr: Any
    type: str = "string"
    case_exact: bool = False
    convert: Callable[[Any], Any] | None = None


@dataclass(frozen=True)
class Multi:
    """A multi-valued attribute stored as child rows."""

    exists: Callable[[Any], Any]
    subs: Mapping[str, Column]
    default: str = "value"


@dataclass(frozen=True)
class Complex:
    """A single-valued complex attribute (e.g. name, manager).

    Its sub-attributes resolve as AttrPath(urn, attr, sub). `default` names the
    sub-attribute used when the attribute itself is compared: Entra sends
    `manager eq "<id>"`, meaning `manager.value eq "<id>"`.
    """

    default: str | None = None


Resolver = Callable[[AttrPath], Column | Multi | Complex]

_STRINGS = ("string", "reference", "binary")
_COMPARE = {op: getattr(operator, op) for op in ("eq", "gt", "lt", "ge", "le")}
_ORDERED = ("eq", "ne", "gt", "lt", "ge", "le")
_OPERATORS = {
    "string": _ORDERED + ("co", "sw", "ew"),
    "boolean": ("eq", "ne"),
    "integer": _ORDERED,
    "decimal": _ORDERED,
    "dateTime": _ORDERED,
}


def escape_like(text: str) -> str:
    r"""Escape LIKE wildcards, for use with `.like(pattern, escape="\\")`."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def to_sql(node, resolve: Resolver) -> ColumnElement[bool]:
    """Compile a filter AST to a WHERE clause (RFC 7644 §3.4.2.2).

    :raise InvalidFilter: for an unknown attribute or an unsupported operator/value.
    """
    if isinstance(node, (And, Or)):
        return _chain(node, resolve)
    if isinstance(node, Not):
        return not_(to_sql(node.expr, resolve))
    if isinstance(node, ValuePath):
        return _value_path(node, resolve)
    if isinstance(node, (Compare, Present)):
        return _leaf(node, resolve)
    raise InvalidFilter(f"unsupported filter node {type(node).__name__}")


def order_by(path: AttrPath, resolve: Resolver, descending: bool = False) -> ColumnElement:
    """Build the ORDER BY term for sortBy/sortOrder (RFC 7644 §3.4.2.3).

    Case-insensitive strings sort on lower(); resources without a value sort last
    when ascending and first when descending.
    :raise InvalidValue: when sortBy names a multi-valued or complex attribute.
    """
    column = _single(path, resolve, InvalidValue)
    expr = _lowered(column)
    return expr.desc().nulls_first() if descending else expr.asc().nulls_last()


def _chain(node, resolve: Resolver) -> ColumnElement[bool]:
    # Flatten left-associative chains so long `a and b and c ...` stay shallow in SQL too.
    kind, rights = type(node), []
    while isinstance(node, kind):
        rights.append(node.right)
        node = node.left
    parts = [to_sql(part, resolve) for part in (node, *reversed(rights))]
    return and_(*parts) if kind is And else or_(*parts)


def _leaf(node: Compare | Present, resolve: Resolver) -> ColumnElement[bool]:
    target = _base(node.path, resolve)
    if isinstance(target, Multi):
        return _multi(node, target, node.path.sub)
    return _condition(node, _single(node.path, resolve, InvalidFilter, target))


def _base(path: AttrPath, resolve: Resolver) -> Column | Multi | Complex:
    """Resolve the attribute itself first: only then do we know how its `.sub` is stored."""
    return resolve(AttrPath(path.urn, path.attr)) if path.sub else resolve(path)


def _single(path, resolve, error, target=None) -> Column:
    """Resolve a path that must end at one column: a plain attribute or a complex's sub."""
    name = attr_to_string(path)
    if target is None:
        target = _base(path, resolve)
    if isinstance(target, Multi):
        raise error(f"'{name}' is multi-valued and cannot be used here")
    sub = path.sub or (target.default if isinstance(target, Complex) else None)
    if isinstance(target, Complex) and sub is None:
        raise error(f"'{name}' is complex: name a sub-attribute, e.g. '{name}.value'")
    if sub is not None:
        # The resolver decides what `attr.sub` is, even where `attr` alone is a column.
        target = resolve(AttrPath(path.urn, path.attr, sub))
    if not isinstance(target, Column):
        raise error(f"'{name}' cannot be used here")
    return target


def _multi(node, multi: Multi, sub: str | None) -> ColumnElement[bool]:
    """Some value matches; `emails pr` is "has any value", `emails eq null` is "has none"."""
    if isinstance(node, Present) or (node.value is None and node.op in ("eq", "ne")):
        present = multi.exists(None if sub is None else _present(_sub_column(multi, sub)))
        return not_(present) if isinstance(node, Compare) and node.op == "eq" else present
    return multi.exists(_condition(node, _sub_column(multi, sub or multi.default)))


def _sub_column(multi: Multi, sub: str) -> Column:
    column = multi.subs.get(sub.lower())
    if column is None:
        raise InvalidFilter(f"unknown sub-attribute '{sub}'")
    return column


def _value_path(node: ValuePath, resolve: Resolver) -> ColumnElement[bool]:
    """`attr[filter]`: all conditions must hold on the same value (RFC 7644 §3.4.2.2)."""
    path = node.path
    target = resolve(path)
    if isinstance(target, Multi) and path.sub is None:
        return target.exists(to_sql(node.filter, lambda inner: _child(target, inner)))
    if isinstance(target, Complex) and path.sub is None:
        return to_sql(node.filter, lambda inner: _complex_child(resolve, path, inner))
    raise InvalidFilter(f"'{attr_to_string(path)}' is not a complex attribute; '[...]' needs one")


def _child(multi: Multi, inner: AttrPath) -> Column:
    if inner.urn is not None or inner.sub is not None:
        raise InvalidFilter(f"'{attr_to_string(inner)}' is not a sub-attribute name")
    return _sub_column(multi, inner.attr)


def _complex_child(resolve: Resolver, path: AttrPath, inner: AttrPath) -> Column:
    if inner.urn is not None or inner.sub is not None:
        raise InvalidFilter(f"'{attr_to_string(inner)}' is not a sub-attribute name")
    target = resolve(AttrPath(path.urn, path.attr, inner.attr))
    if not isinstance(target, Column):
        raise InvalidFilter(f"'{attr_to_string(inner)}' cannot be used here")
    return target


def _condition(node: Compare | Present, column: Column) -> ColumnElement[bool]:
    if isinstance(node, Present):
        return _present(column)
    if node.value is None:
        return _null(node.op, column)
    family = "string" if column.type in _STRINGS else column.type
    if node.op not in _OPERATORS.get(family, ()):
        raise InvalidFilter(f"operator '{node.op}' is not supported on {column.type} attributes")
    value = _literal(family, node.value)
    if column.convert is not None:
        value = column.convert(value)
    if family == "string":
        return _string(node.op, column, value)
    return _compare(node.op, column.expr, value)


def _present(column: Column) -> ColumnElement[bool]:
    """`pr`: has a non-empty value (RFC 7644 §3.4.2.2)."""
    expr = column.expr.is_not(None)
    return and_(expr, column.expr != "") if column.type in _STRINGS else expr


def _null(op: str, column: Column) -> ColumnElement[bool]:
    if op == "eq":
        return not_(_present(column))
    if op == "ne":
        return _present(column)
    raise InvalidFilter(f"operator '{op}' cannot compare with null")


def _literal(family: str, value):
    """Check the literal's JSON type against the attribute type (RFC 7643 §2.3)."""
    if family == "boolean" and isinstance(value, bool):
        return value
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if family == "integer" and isinstance(value, int) and numeric:
        # Bound as BIGINT: PostgreSQL would bind it as the column's INTEGER, and 2**31
        # overflows that (a 500); integer = bigint compares fine.
        return literal(value, BigInteger())
    if family in ("integer", "decimal") and numeric:
        return value
    if family == "string" and isinstance(value, str):
        return value
    if family == "dateTime" and isinstance(value, str):
        return _datetime(value)
    raise InvalidFilter(f"{value!r} is not a valid {family} value")


def _datetime(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidFilter(f"{text!r} is not an ISO 8601 dateTime") from None
    # xsd:dateTime without an offset: read it as UTC rather than server-local time.
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)  # 9999-12-31T23:59:59-14:00 is past year 9999 in UTC
    except OverflowError:
        raise InvalidFilter(f"{text!r} is outside the years 1 to 9999 in UTC") from None


def _string(op: str, column: Column, value) -> ColumnElement[bool]:
    expr = _lowered(column)
    if not column.case_exact and isinstance(value, str):
        value = value.lower()
    patterns = {"co": "%{}%", "sw": "{}%", "ew": "%{}"}
    if op in patterns:
        pattern = patterns[op].format(escape_like(value))
        return and_(expr.is_not(None), expr.like(pattern, escape="\\"))
    return _compare(op, expr, value)


def _compare(op: str, expr, value) -> ColumnElement[bool]:
    if op == "ne":
        return or_(expr.is_(None), expr != value)
    return and_(expr.is_not(None), _COMPARE[op](expr, value))


def _lowered(column: Column):
    if column.type in _STRINGS and not column.case_exact:
        return func.lower(column.expr)
    return column.expr
