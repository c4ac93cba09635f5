"""Target attributes as Entra's mapping editor names them, and the SCIM requests they make.

A target is `userName`, `name.givenName`, `emails[type eq "work"].value` or
`urn:…:enterprise:2.0:User:department`. From one value per target this module builds
the POST body Entra sends to create a user and the PatchOp it sends for a change (Microsoft
Learn, "Tutorial: Develop and plan provisioning for a SCIM endpoint", request examples).
"""

import re
from dataclasses import dataclass

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
_TARGET = re.compile(
    r'(?:(?P<schema>urn:.+):)?(?P<attr>[A-Za-z$][\w$-]*)'
    r'(?:\[(?P<key>\w+) eq "(?P<match>[^"]*)"\])?(?:\.(?P<sub>[A-Za-z$][\w$-]*))?')


@dataclass(frozen=True)
class Target:
    text: str
    schema: str | None
    attribute: str
    key: str | None = None  # emails[type eq "work"]: key "type", match "work"
    match: str | None = None
    sub: str | None = None

    @property
    def dotted(self) -> str:
        """The attribute path without the schema or the filter: `emails.value`."""
        return self.attribute + (f".{self.sub}" if self.sub else "")


class TargetError(ValueError):
    pass


def parse_target(text: str) -> Target:
    """:raise TargetError: for a target Entra's editor would not accept either."""
    found = _TARGET.fullmatch(text.strip())
    if not found:
        raise TargetError(f"{text!r} is not a target attribute: write userName, "
                          'name.givenName, emails[type eq "work"].value or urn:…:attribute')
    schema = found["schema"]
    if schema and schema.lower() == CORE.lower():
        schema = None
    return Target(text.strip(), schema, found["attr"], found["key"], found["match"],
                  found["sub"])


def typed(value, type_: str | None):
    """The JSON value Entra sends for a target of this SCIM type (RFC 7643 §2.3)."""
    if isinstance(value, list):
        return [typed(item, type_) for item in value]
    if type_ == "boolean" and isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if type_ == "integer" and isinstance(value, str) and re.fullmatch(r"-?\d{1,18}", value):
        return int(value)
    return value


def document(values: dict, types: dict) -> dict:
    """The POST /Users body for {target: value}; targets without a value are left out."""
    body: dict = {"schemas": [CORE]}
    for text, value in values.items():
        if value is None or value == []:
            continue
        target = parse_target(text)
        container = body
        if target.schema:
            if target.schema not in body["schemas"]:
                body["schemas"].append(target.schema)
            container = body.setdefault(target.schema, {})
        _place(container, target, typed(value, types.get(text)))
    return body


def _place(container: dict, target: Target, value) -> None:
    if target.key:
        entries = container.setdefault(target.attribute, [])
        match = _filter_value(target)
        entry = next((e for e in entries if e.get(target.key) == match), None)
        if entry is None:
            entry = {target.key: match}
            if target.attribute == "emails" and match == "work":
                entry["primary"] = True  # Entra marks the work email primary
            entries.append(entry)
        entry[target.sub or "value"] = value
    elif target.sub:
        container.setdefault(target.attribute, {})[target.sub] = value
    elif target.attribute == "manager":
        container["manager"] = {"value": value}
    else:
        container[target.attribute] = value


def _filter_value(target: Target):
    if target.key == "primary":  # roles[primary eq "True"].value
        return target.match.lower() == "true"
    return target.match


def patch_op(before: dict, after: dict, types: dict) -> dict | None:
    """The PatchOp for a change from one {target: value} to another; None if nothing changed.

    A value that appears is added, one that changes is replaced, one that goes is removed.
    """
    operations = []
    for text in dict.fromkeys([*before, *after]):
        old = typed(before.get(text), types.get(text))
        new = typed(after.get(text), types.get(text))
        if old == new:
            continue
        if new is None:
            operations.append({"op": "Remove", "path": text})
        else:
            op = "Add" if old is None else "Replace"
            operations.append({"op": op, "path": text, "value": new})
    if not operations:
        return None
    return {"schemas": [PATCH_OP], "Operations": operations}


def read(data: dict, text: str):
    """The value a stored canonical user holds at a target, for comparing with a new one."""
    target = parse_target(text)
    container = data.get(target.schema, {}) if target.schema else data
    value = container.get(target.attribute) if isinstance(container, dict) else None
    if target.key:
        match = _filter_value(target)
        value = next((e for e in value or [] if e.get(target.key) == match), None)
        return value.get(target.sub or "value") if value else None
    if isinstance(value, dict):
        return value.get(target.sub or "value")
    return value if not target.sub else None
