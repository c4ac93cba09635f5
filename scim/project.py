"""Attribute projection: `attributes` and `excludedAttributes` (RFC 7644 §3.9, RFC 7643 §7).

RFC 7644 §3.9 asks for names "in standard attribute notation (Section 3.10)": an
optional schema URN, an attribute name and at most one sub-attribute. Anything else,
a value filter such as `emails[type eq "work"]`, brackets, quotes or spaces, is
refused with 400 invalidValue.

Unknown names: §3.9 defines no error for a well-formed name that names no attribute,
and a search across resource types (RFC 7644 §3.4.3) applies one list to Users and
Groups alike, where `userName` is unknown to a Group. So a well-formed unknown name is
accepted and selects nothing: `attributes=nosuch` returns `id` and `schemas` only, and
`excludedAttributes=nosuch` removes nothing.
"""

import re

from scim.errors import InvalidValue
from scim.schema import ResourceType

ALWAYS = {"id", "schemas"}
_NAME = r"[A-Za-z$][A-Za-z0-9_$-]*"
# RFC 7644 §3.10: [URN ":"] attrName ["." subAttr]; a URN alone names an extension.
# Spaces around a name are allowed, nothing else: openapi/scim.json states the same pattern.
_NOTATION = re.compile(rf"(?:urn:[A-Za-z0-9][A-Za-z0-9._:-]*:)?{_NAME}(?:\.{_NAME})?",
                       re.IGNORECASE)


def split(param: str | None) -> list[str]:
    """Parse a comma-separated attribute list parameter.

    :raise InvalidValue: for a name not in standard attribute notation.
    """
    names = [p.strip(" ") for p in (param or "").split(",") if p.strip(" ")]
    check_names(names)
    return names


def check_names(names) -> None:
    """:raise InvalidValue: for a name not in attribute notation (RFC 7644 §3.10)."""
    for name in names:
        if not _NOTATION.fullmatch(name):
            raise InvalidValue(f"{name!r} is not an attribute name: attributes and "
                               "excludedAttributes take names such as 'emails.value', "
                               "not filters (RFC 7644 §3.9)")


def project(resource: dict, rtype: ResourceType, attributes=(), excluded=()) -> dict:
    """Return the resource with only the attributes the client asked for.

    `attributes` wins when both are given; `id` and `schemas` (returned: always) stay.
    Without either, the resource itself is returned, not a copy.
    """
    if not attributes and not excluded:
        return resource
    if attributes:
        wanted = _targets(rtype, attributes)
        out = {}
        for key, value in resource.items():
            subs = wanted.get(key.lower())
            if key.lower() in ALWAYS or (subs is not None and None in subs):
                out[key] = value
            elif subs:
                kept = _keep(value, subs)
                if kept:
                    out[key] = kept
        return out
    unwanted = _targets(rtype, excluded)
    out = {}
    for key, value in resource.items():
        subs = unwanted.get(key.lower())
        if key.lower() in ALWAYS or subs is None:
            out[key] = value
        elif None not in subs:
            out[key] = _drop(value, subs)
    return out


def _targets(rtype: ResourceType, paths) -> dict[str, set]:
    """{top-level key (lower case): {sub-attribute (lower case), or None for all of it}}."""
    targets: dict[str, set] = {}
    for path in paths:
        schema, rest = rtype.split_urn(path)
        if schema is not None and schema is not rtype.core:
            top, sub = schema.id, rest.split(".")[0] or None
        else:
            top, _, sub = rest.partition(".")
        targets.setdefault(top.lower(), set()).add(sub.lower() if sub else None)
    return targets


def _keep(value, subs: set):
    if isinstance(value, list):
        return [e for e in (_keep(v, subs) for v in value) if e]
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k.lower() in subs}
    return value


def _drop(value, subs: set):
    if isinstance(value, list):
        return [_drop(v, subs) for v in value]
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k.lower() not in subs}
    return value
