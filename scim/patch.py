"""SCIM PATCH (RFC 7644 §3.5.2) on the canonical resource dict, with every Entra ID shape.

operations() validates a PatchOp body; apply() runs the operations on a deep copy of the
resource, all or nothing, and returns the validated result. The Entra shapes handled here
are those of Microsoft's "Known issues and resolutions with SCIM 2.0 protocol compliance of
the Microsoft Entra user provisioning service" and "Tutorial: Develop and plan provisioning
for a SCIM endpoint in Microsoft Entra ID"; tests/api/test_entra_users.py replays them.

No operation is dropped without a trace: each one applies, is tolerated as a recorded quirk
(`quirks`), is ignored as an unknown attribute (`ignored`, under unknown="ignore"), or is
refused; under unknown="reject" an unknown attribute is an invalidPath, in the `path` and
in the keys of a path-less value alike.
"""

from dataclasses import dataclass
from typing import Any

from scim import resource as res
from scim import schema as registry
from scim.errors import InvalidPath
from scim.errors import InvalidSyntax
from scim.errors import InvalidValue
from scim.errors import Mutability
from scim.errors import NoTarget
from scim.filter import PatchPath
from scim.filter import parse_path
from scim.paths import Target
from scim.paths import check_immutable
from scim.paths import compare
from scim.paths import identity
from scim.paths import matches
from scim.paths import prune
from scim.paths import put
from scim.paths import resolve
from scim.paths import seed
from scim.paths import set_sub
from scim.paths import settle
from scim.schema import Attribute
from scim.schema import ResourceType

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
VERBS = ("add", "replace", "remove")
# Keys of a path-less value that clients echo back and we drop silently (Entra sends "id").
SILENT = {"id", "meta", "schemas", "groups"}


@dataclass(frozen=True)
class Operation:
    op: str  # "add" | "replace" | "remove" (lower-cased)
    path: PatchPath | None  # parsed with filter.parse_path; None when absent
    value: Any
    raw_path: str | None  # as sent, for error messages and audit
    quirk: str | None = None  # a client quirk tolerated in reading it, to be noted


def operations(body: dict) -> list[Operation]:
    """Validate a PatchOp request body (RFC 7644 §3.5.2) into Operations.

    `schemas` must include the PatchOp URN; keys, `op` names and the URN are matched
    case-insensitively (Entra legacy sends `Add`/`Replace`/`Remove`).
    """
    if not isinstance(body, dict):
        raise InvalidSyntax("A PATCH body must be a JSON object")
    fields = _lower_keys(body)
    schemas = fields.get("schemas")
    if not isinstance(schemas, list) or PATCH_OP.lower() not in [
            s.lower() for s in schemas if isinstance(s, str)]:
        raise InvalidSyntax(f"schemas must include {PATCH_OP}")
    ops = fields.get("operations")
    if not isinstance(ops, list) or not ops:
        raise InvalidSyntax("Operations must be a non-empty list")
    return [_operation(index, raw) for index, raw in enumerate(ops)]


def _lower_keys(body: dict) -> dict:
    return {k.lower(): v for k, v in body.items() if isinstance(k, str)}


def _operation(index: int, raw) -> Operation:
    if not isinstance(raw, dict):
        raise InvalidSyntax(f"Operations[{index}] must be an object")
    fields = _lower_keys(raw)
    verb = fields.get("op")
    if not isinstance(verb, str) or verb.lower() not in VERBS:
        raise InvalidSyntax(f"Operations[{index}].op must be add, replace or remove")
    verb = verb.lower()
    raw_path = fields.get("path")
    if raw_path == "":
        raw_path = None  # some clients send an empty path for a path-less operation
    # Standard URNs are known here, so callers that sort operations by path (group
    # members) see the attribute a dotted URN names; a custom URN is undotted in apply().
    fixed = _undot(raw_path, _STANDARD)
    quirk = _quirk(raw_path, fixed) if fixed else None
    raw_path = fixed or raw_path
    path = parse_path(raw_path) if raw_path is not None else None
    if verb != "remove" and "value" not in fields:
        raise InvalidValue(f"Operations[{index}]: {verb} needs a value")
    return Operation(verb, path, fields.get("value"), raw_path, quirk)


def apply(resource: dict, ops: list[Operation], rtype: ResourceType, *, unknown="ignore",
          max_value_length: int = 4096, quirks: list | None = None) -> tuple[dict, list[str]]:
    """Apply ops to a deep copy of the canonical dict, all or nothing; returns (new, ignored).

    Pure: the input is never mutated, and any error raises before anything is returned.
    The result passes resource.validate() (required attributes, one primary, no
    unassigned values); `ignored` lists the paths of unknown attributes that were dropped,
    and `quirks`, when given, receives a line for each client quirk tolerated.
    :raise InvalidPath: for an unknown attribute when `unknown` is "reject".
    """
    doc = _copy(resource)
    patch = _Patch(rtype, unknown, [], max_value_length, quirks if quirks is not None else [])
    try:
        for op in ops:
            patch.run(doc, op)
    except res.UnknownAttribute as error:
        raise InvalidPath(error.detail) from None
    return res.validate(doc, rtype, max_value_length=max_value_length,
                        unchanged_from=resource), patch.ignored


def _copy(value):
    """A deep copy of a JSON document (dicts, lists, scalars): copy.deepcopy's memo and
    dispatch are for arbitrary objects, and took three times as long."""
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


def undotted(rtype: ResourceType, text: str) -> str | None:
    """`<schema URN>.<attr>` read as `<schema URN>:<attr>`; None when `text` is not that form.

    Microsoft's API-driven inbound provisioning sample sends
    `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.manager`; the filter
    grammar would read `User` as an attribute of an unknown `…:2.0` schema and drop it.
    """
    return _undot(text, [schema.id for schema in (rtype.core, *rtype.extensions)])


_STANDARD = (registry.USER, registry.GROUP, registry.ENTERPRISE)


def _undot(text, urns) -> str | None:
    if not isinstance(text, str) or not text[:4].lower() == "urn:":
        return None
    for urn in urns:
        prefix = urn + "."
        if text[:len(prefix)].lower() == prefix.lower() and len(text) > len(prefix):
            return f"{urn}:{text[len(prefix):]}"
    return None


def _quirk(text: str, fixed: str) -> str:
    return f"read PATCH path {res.clip(text)!r} as {res.clip(fixed)!r}"


@dataclass
class _Patch:
    rtype: ResourceType
    unknown: str
    ignored: list
    max_value_length: int
    quirks: list

    def run(self, doc: dict, op: Operation) -> None:
        if op.path is None:
            if op.op == "remove":
                raise NoTarget("remove needs a path (RFC 7644 §3.5.2.2)")
            self.pathless(doc, op.op, op.value, "value")
            return
        if op.quirk:
            self.quirks.append(op.quirk)
        path, raw = op.path, op.raw_path
        fixed = self.undot(raw)
        if fixed is not None:
            path, raw = parse_path(fixed), fixed
        target = resolve(self.rtype, path, raw, explicit=True, unknown=self.unknown,
                         ignored=self.ignored)
        if target is not None:
            self.dispatch(doc, op.op, target, op.value, raw)

    def undot(self, text) -> str | None:
        fixed = undotted(self.rtype, text)
        if fixed is not None:
            self.quirks.append(_quirk(text, fixed))
        return fixed

    def dispatch(self, doc: dict, verb: str, target: Target, value, raw: str) -> None:
        if target.attribute is None:  # the whole extension object
            if verb == "remove":
                doc.pop(target.urn, None)
            else:
                self.pathless(doc, verb, value, raw, prefix=f"{target.urn}:")
        elif verb == "remove":
            self.remove(doc, target, value, raw)
        elif target.filter is not None:
            self.write_filtered(doc, target, value, raw)
        else:
            self.write(doc, verb, target, value, raw)

    def pathless(self, doc: dict, verb: str, value, raw: str, prefix: str = "") -> None:
        """RFC 7644 §3.5.2.1/3: the value holds attributes to add or replace.

        Entra sends keys that are paths (`name.givenName`, `urn:…:User:employeeNumber`,
        `emails[type eq "work"].value`) in path-less add and replace (P4, P5, P14).
        """
        if not isinstance(value, dict):
            raise InvalidValue(f"{res.clip(raw)} must be an object of attributes")
        for key, item in value.items():
            res.check_name(key)
            if not prefix and key.lower() in SILENT:
                continue
            self.keyed(doc, verb, prefix + key, item)

    def keyed(self, doc: dict, verb: str, key: str, value) -> None:
        key = self.undot(key) or key
        extension = self.rtype.extension(key)
        if extension is not None:
            self.dispatch(doc, verb, Target(extension.id, None), value, key)
            return
        if key.lower().startswith("urn:") and isinstance(value, dict) and \
                self.rtype.split_urn(key)[0] is None:
            # Entra: custom attributes under an undeclared `urn:…:CustomExtensionName:2.0:User`.
            for name in value:
                res.skip_unknown(f"{key}:{name}", self.unknown, self.ignored)
            return
        try:
            path = parse_path(key)
        except InvalidPath:
            res.skip_unknown(key, self.unknown, self.ignored)
            return
        target = resolve(self.rtype, path, key, explicit=False, unknown=self.unknown,
                         ignored=self.ignored)
        if target is not None:
            self.dispatch(doc, verb, target, value, key)

    def coerce(self, attribute: Attribute, value, path: str):
        return res.coerce(attribute, value, path, unknown=self.unknown, ignored=self.ignored,
                          max_value_length=self.max_value_length)

    # add / replace -------------------------------------------------------------------------

    def write(self, doc: dict, verb: str, target: Target, value, raw: str) -> None:
        """Add or replace without a value filter (RFC 7644 §3.5.2.1, §3.5.2.3)."""
        attribute, sub = target.attribute, target.sub
        container = target.container(doc, create=True)
        name = attribute.name
        if sub is not None and attribute.multi_valued:  # `emails.type`: every value
            entries = container.get(name) or []
            if not entries:
                raise NoTarget(f"{res.clip(raw)} matched no value")
            new = self.coerce(sub, value, raw)
            for entry in entries:
                set_sub(entry, sub, new, raw)
            settle(entries, entries, attribute)
        elif sub is not None:  # `name.givenName`: create the parent when absent
            set_sub(container.setdefault(name, {}), sub, self.coerce(sub, value, raw), raw)
        elif attribute.multi_valued and verb == "add":
            self.append(container, attribute, self.coerce(attribute, value, raw) or [], raw)
        elif attribute.type == "complex" and not attribute.multi_valued:
            if res.unassigned(value):
                container.pop(name, None)
            else:  # sub-attributes not given are left unchanged
                self.merge(container.setdefault(name, {}), attribute, value, raw)
        else:  # simple value, or replace of a whole multi-valued attribute
            new = self.coerce(attribute, value, raw)
            check_immutable(attribute, container.get(name), new, raw)
            put(container, name, new)

    def merge(self, entry: dict, attribute: Attribute, value, raw: str) -> None:
        """Set the given sub-attributes of one complex value; null clears one."""
        for key, item in res.shape(attribute, value, raw).items():
            res.check_name(key, f"{raw}.{key}")
            sub = attribute.sub(key)
            if sub is None:
                res.skip_unknown(f"{raw}.{key}", self.unknown, self.ignored)
            elif sub.mutability != "readOnly" and (attribute.name, sub.name) not in res.DERIVED:
                set_sub(entry, sub, self.coerce(sub, item, f"{raw}.{sub.name}"), raw)

    def append(self, container: dict, attribute: Attribute, new: list, raw: str) -> None:
        """Add to a multi-valued attribute; a value already present is merged, not repeated.

        Re-adding an existing group member is therefore a no-op (Entra re-sends adds).
        """
        entries = container.setdefault(attribute.name, [])
        touched = []
        for item in new:
            if attribute.type != "complex":
                if item not in entries:
                    entries.append(item)
                continue
            known = identity(attribute, item)
            same = next((e for e in entries if known is not None and
                         identity(attribute, e) == known), None)
            if same is None:
                entries.append(item)
                touched.append(item)
            else:
                for key, sub_value in item.items():
                    set_sub(same, attribute.sub(key), sub_value, raw)
                touched.append(same)
        settle(entries, touched, attribute)

    def write_filtered(self, doc: dict, target: Target, value, raw: str) -> None:
        """Add or replace on `attr[filter]` or `attr[filter].sub`.

        Entra: when no value matches, one is created from the filter's `eq` comparisons
        (P8), so later ops on the same filter land in that one value (P9).
        """
        attribute, sub = target.attribute, target.sub
        container = target.container(doc, create=True)
        entries = self.entries(container, attribute)
        matched = [e for e in entries if matches(target.filter, e, attribute)]
        if not matched:
            if not attribute.multi_valued:
                raise NoTarget(f"{res.clip(raw)} matched no value")
            matched = [seed(target.filter, attribute, raw, self.coerce)]
            entries.append(matched[0])
        if sub is None and res.unassigned(value):
            raise InvalidValue(f"{res.clip(raw)} needs a value")
        new = None if sub is None else self.coerce(sub, value, raw)
        for entry in matched:
            if sub is None:
                self.merge(entry, attribute, value, raw)
            else:
                set_sub(entry, sub, new, raw)
        settle(entries, matched, attribute)
        if sub is not None and new is None:  # a null write clears, like remove
            entries = prune(entries, attribute)
        self.store(container, attribute, entries)

    @staticmethod
    def entries(container: dict, attribute: Attribute) -> list:
        """Return the values of an attribute as a list; a single complex value is a list of one."""
        if attribute.multi_valued:
            return container.setdefault(attribute.name, [])
        return [container[attribute.name]] if attribute.name in container else []

    @staticmethod
    def store(container: dict, attribute: Attribute, entries: list) -> None:
        put(container, attribute.name, entries if attribute.multi_valued else
            (entries[0] if entries else None))

    # remove --------------------------------------------------------------------------------

    def remove(self, doc: dict, target: Target, value, raw: str) -> None:
        """RFC 7644 §3.5.2.2; removing something absent is a no-op."""
        attribute, sub = target.attribute, target.sub
        container = target.container(doc)
        if container.get(attribute.name) is None:
            return
        if target.filter is None and sub is None:
            self.remove_attribute(container, attribute, value, raw)
            return
        entries = self.entries(container, attribute)
        matched = entries
        if target.filter is not None:
            matched = [e for e in entries if matches(target.filter, e, attribute)]
        if sub is None:  # `members[value eq "id"]`, also Entra's `manager[value eq "id"]`
            kept = [e for e in entries if not any(e is m for m in matched)]
        else:
            expected = None if res.unassigned(value) else self.coerce(sub, value, raw)
            for entry in matched:
                # P10: with a value, remove the sub-attribute only where it equals it.
                if expected is None or compare("eq", entry.get(sub.name), expected, sub):
                    set_sub(entry, sub, None, raw)
            kept = prune(entries, attribute)
        self.store(container, attribute, kept)

    def remove_attribute(self, container: dict, attribute: Attribute, value, raw: str) -> None:
        if attribute.required:
            raise Mutability(f"{attribute.name} is required and cannot be removed")
        if not attribute.multi_valued or value is None:
            check_immutable(attribute, container.get(attribute.name), None, raw)
            container.pop(attribute.name)
            return
        # Entra legacy: {"op":"Remove","path":"members","value":[{"value":"id"}]} removes
        # only the listed values, never the whole attribute (Microsoft's SCIM tutorial for
        # Entra ID, Update Group [Remove Members]).
        doomed = [identity(attribute, v) for v in self.coerce(attribute, value, raw) or []]
        kept = [e for e in container[attribute.name] if identity(attribute, e) not in doomed]
        put(container, attribute.name, kept)
