"""Attribute projection: `attributes` and `excludedAttributes` (RFC 7644 §3.9, RFC 7643 §7)."""

from scim.schema import ResourceType

ALWAYS = {"id", "schemas"}


def split(param: str | None) -> list[str]:
    """Parse a comma-separated attribute list parameter."""
    return [p.strip() for p in (param or "").split(",") if p.strip()]


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
