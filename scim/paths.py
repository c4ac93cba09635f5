"""PATCH targets and values (RFC 7644 §3.5.2), for scim.patch.

resolve() turns a parsed PatchPath into a Target: where in the canonical resource dict the
operation lands. matches() evaluates a value filter (`emails[type eq "work"]`) on one value
of a multi-valued complex attribute, in memory. The helpers at the end edit single values
(immutability, primary, pruning, creating a value from a filter).
"""

from dataclasses import dataclass
from datetime import UTC
from datetime import datetime

from scim import casefold
from scim.errors import InvalidFilter
from scim.errors import InvalidPath
from scim.errors import Mutability
from scim.errors import NoTarget
from scim.filter import And
from scim.filter import Compare
from scim.filter import Not
from scim.filter import Or
from scim.filter import PatchPath
from scim.filter import Present
from scim.resource import DERIVED
from scim.resource import clip
from scim.resource import common
from scim.resource import retired
from scim.resource import skip_unknown
from scim.resource import unassigned
from scim.schema import Attribute
from scim.schema import ResourceType
from scim.schema import Schema

ORDERING = ("gt", "ge", "lt", "le")
# Sub-attributes that qualify a value without carrying any data of their own.
LABELS = {"type", "primary", "display"}


@dataclass(frozen=True)
class Target:
    """Where an operation lands.

    `urn` is the extension key in the resource dict (None for core and common attributes);
    `attribute` is None when the target is the whole extension object.
    """

    urn: str | None
    attribute: Attribute | None
    filter: object | None = None
    sub: Attribute | None = None

    def container(self, resource: dict, create: bool = False) -> dict:
        """Return the dict holding the attribute: the resource itself or its extension object."""
        if self.urn is None:
            return resource
        if create:
            return resource.setdefault(self.urn, {})
        return resource.get(self.urn) or {}


def resolve(rtype: ResourceType, path: PatchPath, raw: str, *, explicit: bool,
            unknown: str = "ignore", ignored: list | None = None) -> Target | None:
    """Resolve a parsed path; None means "drop this operation" (unknown or ignorable).

    `explicit` is True for an operation's `path` and False for a key of a path-less value:
    a read-only target is an error only when explicit. An unknown attribute is dropped and
    recorded in `ignored` in both forms, or refused when `unknown` is "reject".
    """
    attr_path = path.attr
    if attr_path.sub is not None and path.sub is not None:
        raise InvalidPath(f"Invalid path {clip(raw)!r}")
    sub_name = attr_path.sub or path.sub
    if attr_path.urn is not None:
        whole = rtype.extension(f"{attr_path.urn}:{attr_path.attr}")
        if whole is not None and sub_name is None and path.filter is None:
            return Target(whole.id, None)
        schema = _schema(rtype, attr_path.urn)
        if schema is None:  # Entra: an undeclared custom extension URN
            skip_unknown(raw, unknown, ignored)
            return None
        found = _find(schema, attr_path.attr, rtype)
    else:
        found = _find(rtype.core, attr_path.attr, rtype)
        for extension in rtype.extensions:
            # Entra legacy: `"path": "manager"` without the enterprise URN.
            found = found or _find(extension, attr_path.attr, rtype)
    if found is None:
        schemas = [_schema(rtype, attr_path.urn)] if attr_path.urn else rtype.extensions
        if not any(retired(schema, attr_path.attr, raw, ignored) for schema in schemas):
            skip_unknown(raw, unknown, ignored)
        return None
    schema, attribute = found
    if _dropped(attribute, raw, explicit):
        return None
    urn = None if schema is rtype.core else schema.id
    target = Target(urn, attribute, path.filter)
    return _with_sub(target, sub_name, raw, explicit, unknown, ignored)


def _schema(rtype: ResourceType, urn: str) -> Schema | None:
    if urn.lower() == rtype.core.id.lower():
        return rtype.core
    return rtype.extension(urn)


def _find(schema: Schema, name: str, rtype: ResourceType) -> tuple[Schema, Attribute] | None:
    attribute = schema.attr(name)
    if attribute is None and schema is rtype.core:
        attribute = common(name)  # externalId, and the read-only id / meta
    return (schema, attribute) if attribute is not None else None


def _dropped(attribute: Attribute, raw: str, explicit: bool, parent: str = "") -> bool:
    """readOnly: Mutability when targeted explicitly, silently dropped otherwise (RFC 7643 §2.2).

    writeOnly (`password`) and derived (`manager.$ref`) values are accepted and dropped.
    """
    if attribute.mutability == "readOnly":
        if explicit:
            raise Mutability(f"{clip(raw)} is read-only")
        return True
    return attribute.mutability == "writeOnly" or (parent, attribute.name) in DERIVED


def _with_sub(target: Target, sub_name: str | None, raw: str, explicit: bool, unknown: str,
              ignored: list | None) -> Target | None:
    attribute = target.attribute
    if target.filter is not None:
        if attribute.type != "complex":
            raise InvalidPath(f"{clip(raw)}: value filters apply to complex attributes only")
        check_filter(target.filter, attribute)
    if sub_name is None:
        return target
    sub = attribute.sub(sub_name) if attribute.type == "complex" else None
    if sub is None:
        skip_unknown(raw, unknown, ignored)
        return None
    if _dropped(sub, raw, explicit, attribute.name):
        return None
    return Target(target.urn, attribute, target.filter, sub)


def check_filter(node, attribute: Attribute) -> None:
    """Every name in a value filter must be a sub-attribute; ordering needs an ordered type."""
    if isinstance(node, (And, Or)):
        check_filter(node.left, attribute)
        check_filter(node.right, attribute)
    elif isinstance(node, Not):
        check_filter(node.expr, attribute)
    elif isinstance(node, (Compare, Present)):
        sub = attribute.sub(node.path.attr)
        if sub is None or node.path.urn is not None or node.path.sub is not None:
            raise InvalidFilter(f"{attribute.name} has no sub-attribute {node.path.attr!r}")
        if isinstance(node, Compare) and node.op in ORDERING and sub.type in ("boolean",
                                                                                "binary"):
            # RFC 7644 §3.4.2.2: gt/ge/lt/le on boolean or binary fail with invalidFilter.
            raise InvalidFilter(f"{node.op} cannot compare {attribute.name}.{sub.name}")
    else:
        raise InvalidFilter(f"Unsupported value filter on {attribute.name}")


def matches(node, entry: dict, attribute: Attribute) -> bool:
    """Evaluate a value filter (RFC 7644 §3.4.2.2) on one value of `attribute`.

    Sub-attribute names are case-insensitive; strings compare case-insensitively unless the
    sub-attribute is caseExact; booleans and numbers compare by value.
    """
    if isinstance(node, And):
        return matches(node.left, entry, attribute) and matches(node.right, entry, attribute)
    if isinstance(node, Or):
        return matches(node.left, entry, attribute) or matches(node.right, entry, attribute)
    if isinstance(node, Not):
        return not matches(node.expr, entry, attribute)
    sub = attribute.sub(node.path.attr)
    if sub is None or not isinstance(entry, dict):
        return False
    actual = lookup(entry, sub.name)
    if isinstance(node, Present):
        return not unassigned(actual)
    return compare(node.op, actual, node.value, sub)


def lookup(entry: dict, name: str):
    """Get a sub-attribute's value, with the name matched case-insensitively."""
    if name in entry:
        return entry[name]
    return next((v for k, v in entry.items() if k.lower() == name.lower()), None)


BOOLEANS = {"true": True, "false": False}


def compare(op: str, actual, expected, sub: Attribute) -> bool:
    """One attribute operator (RFC 7644 Table 3) on a stored value and a filter literal."""
    if expected is None:  # `eq null` / `ne null`: absent vs present
        return (actual is None) == (op == "eq") if op in ("eq", "ne") else False
    if sub.type == "boolean" and isinstance(expected, str) and expected.lower() in BOOLEANS:
        expected = BOOLEANS[expected.lower()]  # Entra: roles[primary eq "True"].value
    if actual is None or isinstance(actual, bool) != isinstance(expected, bool):
        return op == "ne"
    if isinstance(actual, str) != isinstance(expected, str):
        return op == "ne"
    if isinstance(actual, str) and not sub.case_exact:
        actual, expected = casefold.key(actual), casefold.key(expected)
    if op in ("eq", "ne"):
        return (actual == expected) == (op == "eq")
    if op in ("co", "sw", "ew"):
        if not isinstance(actual, str):
            return False
        return {"co": expected in actual, "sw": actual.startswith(expected),
                "ew": actual.endswith(expected)}[op]
    if op in ORDERING and not isinstance(actual, bool):
        if sub.type == "dateTime":
            actual, expected = _instant(actual), _instant(expected)
            if actual is None or expected is None:
                return False
        return {"gt": actual > expected, "ge": actual >= expected,
                "lt": actual < expected, "le": actual <= expected}[op]
    return False


def _instant(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# Edits on values ---------------------------------------------------------------------------

def identity(attribute: Attribute, entry):
    """Return what identifies a value: its `value` sub-attribute, or the whole value."""
    if attribute.type == "complex" and attribute.sub("value") is not None:
        return entry.get("value")
    return entry


def put(container: dict, name: str, value) -> None:
    if unassigned(value):
        container.pop(name, None)
    else:
        container[name] = value


def set_sub(entry: dict, sub: Attribute, new, raw: str) -> None:
    check_immutable(sub, entry.get(sub.name), new, raw)
    put(entry, sub.name, new)


def check_immutable(attribute: Attribute, old, new, raw: str) -> None:
    """RFC 7643 §2.2: an immutable value may be set once, never changed afterwards."""
    if attribute.mutability == "immutable" and old is not None and new != old:
        raise Mutability(f"{clip(raw)}: {attribute.name} is immutable")


def settle(entries: list, touched: list, attribute: Attribute) -> None:
    """RFC 7644 §3.5.2: a value set primary makes the others non-primary (RFC 7643 §2.4)."""
    primaries = [e for e in touched if isinstance(e, dict) and e.get("primary") is True]
    if attribute.multi_valued and len(primaries) == 1:
        for entry in entries:
            if entry is not primaries[0] and entry.get("primary") is True:
                entry["primary"] = False


def prune(entries: list, attribute: Attribute) -> list:
    """Drop values left without data: no `value` where the attribute has one, or only labels."""
    needs_value = attribute.sub("value") is not None
    return [e for e in entries
            if not (needs_value and "value" not in e) and set(e) - LABELS]


def seed(node, attribute: Attribute, raw: str, coerce) -> dict:
    """Build a new value from a filter's `eq` comparisons: `type eq "work"` → {"type": "work"}."""
    pairs = _equalities(node)
    if not pairs:
        raise NoTarget(f"{clip(raw)} matched no value")
    entry = {}
    for name, value in pairs:
        sub = attribute.sub(name)
        put(entry, sub.name, coerce(sub, value, raw))
    if not matches(node, entry, attribute):  # e.g. `type eq "work" and type eq "home"`
        raise NoTarget(f"{clip(raw)} matched no value")
    return entry


def _equalities(node) -> list | None:
    if isinstance(node, Compare) and node.op == "eq":
        return [(node.path.attr, node.value)]
    if isinstance(node, And):
        left, right = _equalities(node.left), _equalities(node.right)
        return left + right if left is not None and right is not None else None
    return None
