"""Validate SCIM request bodies into the canonical resource dict (RFC 7643 §2, §4; RFC 7644 §3.3).

The canonical dict is what services store and PATCH works on:

* keys are the registry's canonical names (exact case); extension attributes live
  under the extension's canonical URN key; `externalId` is top level;
* `id`, `meta` and `schemas` are never in it (the service adds them on output), nor are
  read-only attributes (`groups`, `members.display`, `manager.displayName`) or the derived
  `manager.$ref`;
* `password` (writeOnly) is accepted and dropped: Rollcall never stores it;
* unassigned = absent (RFC 7643 §2.5): null, "", [] and {} are removed, and so is a complex
  value or an extension object left without sub-attributes.
"""

import base64
import binascii
import math
import re
from datetime import UTC
from datetime import datetime

from scim import schema as registry
from scim.errors import InvalidSyntax
from scim.errors import InvalidValue
from scim.schema import Attribute
from scim.schema import ResourceType

MAX_NAME_LENGTH = 200
DROPPED = ("schemas", "id", "meta")  # the service owns these (RFC 7643 §3.1)
# Sub-attributes derived by the service on output, never stored.
DERIVED = {("manager", "$ref")}
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?", re.I)
_BOOLEANS = {"true": True, "false": False}
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")
_CORES = {registry.USER, registry.GROUP}


def clip(text, limit: int = 80) -> str:
    """Shorten a value for an error detail: never echo a huge value back."""
    text = str(text)
    return text if len(text) <= limit else text[:limit] + "…"


def unassigned(value) -> bool:
    """RFC 7643 §2.5: null, empty strings, empty lists and empty objects mean 'no value'."""
    return value is None or value == "" or value == [] or value == {}


def common(name: str) -> Attribute | None:
    """Find a common attribute (RFC 7643 §3.1) by name, case-insensitively."""
    return next((a for a in registry.COMMON if a.name.lower() == name.lower()), None)


def check_name(name, path: str = "") -> str:
    if not isinstance(name, str):
        raise InvalidValue(f"Attribute names must be strings, got {clip(name)!r}")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidValue(f"Attribute name too long: {clip(path or name)!r}")
    return name


class UnknownAttribute(InvalidValue):
    """An unknown attribute under unknown="reject"; scim.patch answers it as invalidPath."""


def retired(schema, name: str, path: str, ignored: list | None) -> bool:
    """A retired custom field: its value is dropped and recorded, never refused."""
    if schema is None or name.lower() not in (n.lower() for n in schema.retired):
        return False
    if ignored is not None:
        ignored.append(f"{path} (retired custom field)")
    return True


def skip_unknown(path: str, unknown: str, ignored: list | None) -> None:
    """Drop an unknown attribute: record it, or raise when `unknown` is "reject"."""
    if unknown == "reject":
        raise UnknownAttribute(f"Unknown attribute {clip(path)!r}")
    if ignored is not None:
        ignored.append(path)


def load(body: dict, rtype: ResourceType, *, unknown: str = "ignore",
         max_value_length: int = 4096) -> tuple[dict, list[str]]:
    """Validate a POST/PUT body (RFC 7643, RFC 7644 §3.3) into the canonical dict.

    Returns (resource, ignored): `ignored` lists the paths of unknown attributes dropped
    (with unknown="reject" they raise InvalidValue instead). `password` is dropped and
    never stored; read-only attributes and `schemas`/`id`/`meta` are dropped silently.
    """
    if not isinstance(body, dict):
        raise InvalidSyntax("The request body must be a JSON object")
    ignored: list[str] = []
    options = {"unknown": unknown, "ignored": ignored, "max_value_length": max_value_length}
    resource: dict = {}
    for key, value in body.items():
        check_name(key)
        if key.lower() in DROPPED:
            continue
        _load_key(resource, key, value, rtype, options)
    # Every value went through coerce() on its way in: left to do are the extension
    # objects that later keys emptied, and the required attributes.
    resource = {key: value for key, value in resource.items() if value != {}}
    _require(resource, rtype)
    return resource, ignored


def _load_key(resource: dict, key: str, value, rtype: ResourceType, options: dict) -> None:
    """Place one top-level body key: core/common attribute, extension object or flat URN key."""
    extension = rtype.extension(key)
    if extension is not None:
        if not isinstance(value, (dict, type(None))):
            raise InvalidValue(f"{extension.id} must be an object")
        for name, sub_value in (value or {}).items():
            check_name(name, f"{extension.id}:{name}")
            _store(resource, extension, name, sub_value, options, f"{extension.id}:{name}")
        return
    schema, name = rtype.split_urn(key)
    if schema is not None and name:
        # Entra: flattened `urn:…:enterprise:2.0:User:department` keys.
        _store(resource, schema, name, value, options, key)
    elif key.lower().startswith("urn:") and isinstance(value, dict):
        # Entra: custom attributes under an undeclared `urn:…:CustomExtensionName:2.0:User`.
        for name in value:
            skip_unknown(f"{key}:{name}", options["unknown"], options["ignored"])
    else:
        _store(resource, rtype.core, key, value, options, key)


def _store(resource: dict, schema, name: str, value, options: dict, path: str) -> None:
    """Coerce one attribute of `schema` (or a common attribute) into the resource."""
    attribute = schema.attr(name) or (common(name) if schema.id in _CORES else None)
    if attribute is None:
        if not retired(schema, name, path, options["ignored"]):
            skip_unknown(path, options["unknown"], options["ignored"])
        return
    if attribute.mutability in ("readOnly", "writeOnly"):
        return  # RFC 7643 §2.2: readOnly ignored on input; writeOnly (password) never stored
    coerced = coerce(attribute, value, path, **options)
    if schema.id not in _CORES:
        resource = resource.setdefault(schema.id, {}) if coerced is not None else \
            resource.get(schema.id, {})
    if coerced is None:
        resource.pop(attribute.name, None)
    else:
        resource[attribute.name] = coerced


def coerce(attribute: Attribute, value, path: str, *, unknown="ignore",
           ignored: list | None = None, max_value_length=4096):
    """Validate/coerce one value (single or multi) for `attribute` into canonical form.

    Returns None when the value is unassigned. Raises InvalidValue naming `path`.
    """
    options = {"unknown": unknown, "ignored": ignored, "max_value_length": max_value_length}
    if unassigned(value):
        return None
    if not attribute.multi_valued:
        return _one(attribute, value, path, options)
    items = value if isinstance(value, list) else [value]  # a single value → a list of one
    coerced = [_one(attribute, item, path, options) for item in items]
    coerced = [item for item in coerced if item is not None]
    if attribute.type == "complex":
        if sum(1 for item in coerced if item.get("primary") is True) > 1:
            raise InvalidValue(f"{clip(path)}: at most one value may be primary (RFC 7643 §2.4)")
    return coerced or None


def _one(attribute: Attribute, value, path: str, options: dict):
    """Coerce a single value (one element of a multi-valued attribute)."""
    if unassigned(value):
        return None
    if attribute.type == "complex":
        return _complex(attribute, value, path, options)
    return scalar(attribute, value, path, options["max_value_length"])


def shape(attribute: Attribute, value, path: str) -> dict:
    """Bring one complex value into dict form, accepting the client quirks below."""
    if not attribute.multi_valued and isinstance(value, list) and len(value) == 1:
        value = value[0]  # Entra legacy: manager as [{"$ref": …, "value": id}]
    if isinstance(value, str) and attribute.sub("value") is not None:
        value = {"value": value}  # Entra: manager / member as a bare string id
    if not isinstance(value, dict):
        raise InvalidValue(f"{clip(path)} must be a complex value (an object)")
    return value


def _complex(attribute: Attribute, value, path: str, options: dict) -> dict | None:
    value = shape(attribute, value, path)
    out = {}
    for name, sub_value in value.items():
        check_name(name, f"{path}.{name}")
        sub = attribute.sub(name)
        if sub is None:
            skip_unknown(f"{path}.{name}", options["unknown"], options["ignored"])
        elif sub.mutability != "readOnly" and (attribute.name, sub.name) not in DERIVED:
            coerced = coerce(sub, sub_value, f"{path}.{sub.name}", **options)
            if coerced is not None:
                out[sub.name] = coerced
    if out and requires_value(attribute) and "value" not in out:
        raise InvalidValue(f"{clip(path)}: each value needs a 'value' sub-attribute")
    return out or None


def requires_value(attribute: Attribute) -> bool:
    """Tell whether each value needs `value`: references (members, manager) need the id."""
    value = attribute.sub("value")
    return value is not None and (value.required or attribute.name == "members")


def scalar(attribute: Attribute, value, path: str, max_value_length: int = 4096):
    """Coerce a simple value to the attribute's type (RFC 7643 §2.3)."""
    kind = attribute.type
    if kind == "boolean":
        # Entra legacy: "True"/"False" (and "false") as strings, in PATCH and POST.
        if isinstance(value, str) and value.lower() in _BOOLEANS:
            return _BOOLEANS[value.lower()]
        return _expect(value, isinstance(value, bool), path, "a boolean")
    if kind == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool) and fits_64_bits(value)
        return _expect(value, ok, path, "an integer of at most 64 bits")
    if kind == "decimal":
        return _decimal(value, path)
    _expect(value, isinstance(value, str), path, "a string" if kind == "string" else
            f"a string ({kind})")
    if len(value) > max_value_length:
        raise InvalidValue(f"{clip(path)}: value longer than {max_value_length} characters")
    if kind == "dateTime":
        _expect(value, _is_datetime(value), path, "an ISO 8601 dateTime")
        return utc_datetime(value)
    if kind == "binary":
        _expect(value, _is_base64(value), path, "base64-encoded binary")
    return value


def fits_64_bits(number: int) -> bool:
    """Integers are stored and compared as 64-bit (BIGINT on PostgreSQL)."""
    return -(2**63) <= number < 2**63


def _decimal(value, path: str) -> float:
    """A decimal as a JSON number or a numeric string: Entra sends decimals as String."""
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        value = float(value)
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    return _expect(value, ok and math.isfinite(value), path, "a decimal number")


def utc_datetime(text: str) -> str:
    """An xsd:dateTime normalised to UTC, e.g. `2021-06-01T23:00:00Z`.

    Fractions of a second are kept to the precision given (at most µs). Without an offset
    the time is read as UTC, as filters read it (scim/query.py).
    """
    moment = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    spec = "seconds" if not moment.microsecond else (
        "milliseconds" if moment.microsecond % 1000 == 0 else "microseconds")
    return moment.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def _expect(value, ok: bool, path: str, expected: str):
    if not ok:
        raise InvalidValue(f"{clip(path)} must be {expected}, got {clip(repr(value))}")
    return value


def _is_datetime(text: str) -> bool:
    """Check for an xsd:dateTime as RFC 7643 §2.3.5 requires; a trailing Z is accepted."""
    if not _DATETIME.fullmatch(text):
        return False
    try:
        datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _is_base64(text: str) -> bool:
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def validate(resource: dict, rtype: ResourceType, *, max_value_length: int = 4096,
             unchanged_from: dict | None = None) -> dict:
    """Check a canonical dict finally; return it re-coerced, unassigned values stripped.

    Every key must be a known writable attribute of the right type (InvalidValue otherwise),
    required attributes must be present (RFC 7643 §2.2) and each multi-valued attribute
    may have at most one primary value (RFC 7643 §2.4). Used after PATCH and by load().
    `unchanged_from`: a valid document the resource was made from (PATCH's input); a value
    identical to its value there (JSON types included) is kept as it is, not coerced
    again (a PATCH of a title re-checked every attribute of the user: 5% of its CPU).
    """
    if not isinstance(resource, dict):
        raise InvalidValue("A resource must be an object")
    options = {"unknown": "reject", "ignored": None, "max_value_length": max_value_length}
    before = unchanged_from or {}
    out: dict = {}
    for key, value in resource.items():
        extension = rtype.extension(key)
        if extension is None:
            _checked(out, rtype.core, key, value, options, key, _same(before, key, value))
            continue
        if not isinstance(value, dict):
            raise InvalidValue(f"{extension.id} must be an object")
        was = before.get(key) if isinstance(before.get(key), dict) else {}
        for name, sub_value in value.items():
            _checked(out, extension, name, sub_value, options, f"{extension.id}:{name}",
                     _same(was, name, sub_value))
    _require(out, rtype)
    return out


def _same(before: dict, key: str, value) -> bool:
    return key in before and not unassigned(value) and _identical(before[key], value)


def _identical(a, b) -> bool:
    """Equal and of the same JSON types throughout: 1 == True and 1.0 == 1 in Python, but
    an integer is no boolean here."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_identical(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(map(_identical, a, b))
    return a == b


def _require(resource: dict, rtype: ResourceType) -> None:
    """RFC 7643 §2.2: a resource has every required attribute."""
    for attribute in rtype.core.attributes:
        if attribute.required and attribute.name not in resource:
            raise InvalidValue(f"{attribute.name} is required")


def _checked(out: dict, schema, name: str, value, options: dict, path: str,
             kept: bool = False) -> None:
    attribute = schema.attr(name) or (common(name) if schema.id in _CORES else None)
    if attribute is None or attribute.name != name or attribute.mutability in (
            "readOnly", "writeOnly"):
        raise InvalidValue(f"{clip(path)} cannot be stored in a resource")
    if kept:  # as valid as the document it is unchanged from
        (out if schema.id in _CORES else out.setdefault(schema.id, {}))[name] = value
        return
    _store(out, schema, name, value, options, path)
