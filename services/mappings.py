"""The mapping workbench: what an Entra attribute mapping would send, and Rollcall's answer.

The expressions are evaluated by the pure `mappings` package; this module asks Rollcall what
it would do with the result, reading only: the POST body is validated by the code the SCIM
API uses (users.validate), the PATCH by scim.patch, and the provisioning rules are read
from their settings. It keeps every import of another service, so the reorganisation of
`services/` has one place to fix. The one write is save(): a Setting row and its change record.
"""

import json
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy import select

from mappings import mapfile
from mappings import presets
from mappings import targets
from mappings import workbench
from mappings.census import Census
from mappings.evaluator import Context
from mappings.mapfile import Row
from models import Setting
from models import User
from models import db
from scim import patch as scim_patch
from scim import resource
from scim.errors import SCIMError
from services import audit
from services import custom_fields
from services import rules
from services import settings
from services import tx
from services import users
from services.users import rules as provisioning

SETTING = "entra_mapping"
PLACEHOLDER = "mapping-workbench@example.invalid"  # a userName for checking one other target
MAX_CHECKED = 5000
WORK_EMAIL = presets.WORK_EMAIL


@dataclass(frozen=True)
class Verdict:
    kind: str  # accepted, ignored, refused, blocked, not sent, error
    detail: str = ""
    fix: str = ""
    status: int | None = None  # for refused: the HTTP status Rollcall would answer


@dataclass
class Report:
    rows: list
    outcomes: list
    verdicts: list
    post: dict
    post_verdict: Verdict
    patch: dict | None
    patch_verdict: Verdict | None
    notes: list


def evaluate(rows: list[Row], source: dict, change: dict | None = None,
             context: Context | None = None) -> Report:
    """Evaluate a mapping for one person: per-target verdicts, the POST, and a PATCH.

    The PATCH is the one Entra sends after `change` to the source values (by default the
    person is soft-deleted).
    """
    rtype = users.resource_type()
    context = context or Context(is_taken=_user_name_taken)
    outcomes = workbench.run(rows, source, context)
    types = _types(rows, rtype)
    values = workbench.values(outcomes)
    post = targets.document(values, types)
    data, post_verdict = _check_post(post, rtype)
    verdicts = [_verdict(o, rtype, types, data) for o in outcomes]
    changed = {**source, **(presets.DEFAULT_CHANGE if change is None else change)}
    after = workbench.values(workbench.run(rows, changed, context))
    patch = targets.patch_op(values, after, types)
    patch_verdict = _check_patch(patch, data, rtype) if patch else None
    return Report(rows, outcomes, verdicts, post, post_verdict, patch, patch_verdict,
                  notes(rows))


def _types(rows: list[Row], rtype) -> dict:
    types = {}
    for row in rows:
        definition = _definition(row.target, rtype)
        types[row.target] = definition.type if definition else None
    return types


def _definition(text: str, rtype):
    """The registry's attribute (or sub-attribute) for a target; None when Rollcall has none."""
    try:
        target = targets.parse_target(text)
    except targets.TargetError:
        return None
    schema = rtype.extension(target.schema) if target.schema else rtype.core
    if schema is None:
        return None
    attribute = schema.attr(target.attribute)
    if attribute is None and not target.schema:
        attribute = resource.common(target.attribute)
    if attribute is None or attribute.mutability in ("readOnly", "writeOnly"):
        return None
    if attribute.type == "complex":
        return attribute.sub(target.sub or "value")
    return None if target.sub else attribute


def _check_post(post: dict, rtype) -> tuple[dict | None, Verdict]:
    """Validate the POST as the API does, then apply the provisioning rules to it."""
    try:
        data, _ = users.validate(post, rtype)
    except SCIMError as error:
        return None, _refused(error)
    blocked = _rules_block(data)
    if blocked:
        return data, blocked
    if _user_name_taken(data["userName"]):
        return data, Verdict("accepted", "userName matches a user Rollcall has: Entra's "
                             "matching query finds it and updates it with PATCH instead")
    if _seat_full(data):
        return data, Verdict("blocked", _seat_detail(), "Raise the seat limit on the "
                             "Provisioning rules page, or free a seat.")
    return data, Verdict("accepted", "201 Created")


def _rules_block(data: dict) -> Verdict | None:
    try:
        provisioning.require_email(data)
        provisioning.check_email_unique(db.session, data, None)
    except SCIMError as error:
        return Verdict("blocked", error.detail, _RULE_FIX.get(type(error).__name__, ""),
                       error.status)
    return None


_RULE_FIX = {
    "InvalidValue": "Map a work email (the Kantega preset falls back to userPrincipalName), "
                    "or turn off 'require an email' on the Provisioning rules page.",
    "Uniqueness": "Another user has this work email. Give emails[type eq \"work\"].value "
                  "matching precedence 1 so Entra finds that user and updates it.",
}


def _seat_full(data: dict) -> bool:
    limit = rules.current()["seat_limit"]
    if not limit or data.get("active", True) is False:
        return False
    active = db.session.execute(select(func.count()).select_from(User).where(
        User.active.is_(True), User.hidden.is_(False))).scalar()
    return active >= limit


def _seat_detail() -> str:
    limit = rules.current()["seat_limit"]
    return (f"seat limit of {limit} reached: the user would be created deactivated, "
            "waiting for a seat")


def _user_name_taken(name: str) -> bool:
    stmt = select(User.id).where(func.lower(User.user_name) == name.lower(),
                                 User.hidden.is_(False))
    return db.session.execute(stmt.limit(1)).first() is not None


def _refused(error: SCIMError) -> Verdict:
    body = error.to_dict()
    scim_type = f" ({body['scimType']})" if "scimType" in body else ""
    return Verdict("refused", f"{body['status']}{scim_type}: {body['detail']}",
                   status=error.status)


def _verdict(outcome: workbench.Outcome, rtype, types: dict, data: dict | None) -> Verdict:
    target = outcome.row.target
    if outcome.error is not None:
        return Verdict("error", f"{outcome.error.kind} at {outcome.error}",
                       "Correct the expression; the position counts characters from 1.")
    definition = _definition(target, rtype)
    if definition is None:
        return _unknown(target, outcome, rtype, types)
    if outcome.dropped or not outcome.sent:
        return _unsent(outcome, rtype, types)
    return _sent(outcome, rtype, types, data)


def _unknown(target: str, outcome, rtype, types: dict) -> Verdict:
    fix = ("Remove this mapping, or declare a custom field on the Custom fields page and map "
           f"to {custom_fields.urn()}:<name>.")
    if not outcome.sent:
        return Verdict("not sent", f"No value, and Rollcall has no attribute {target}.", fix)
    refused = _validate_alone(target, outcome.value, rtype, types)
    if refused is not None:  # the rule for unknown attributes says "reject"
        return Verdict("refused", refused.detail, fix, refused.status)
    return Verdict("ignored", f"Rollcall has no attribute {target}: it ignores the value "
                   "and notes it in the request log.", fix)


def _validate_alone(target: str, value, rtype, types: dict) -> Verdict | None:
    """Rollcall's answer to a POST of this one value (with a stand-in userName), if refused."""
    alone = {target: value} if value is not None else {}
    if target != "userName":
        alone["userName"] = PLACEHOLDER
    try:
        users.validate(targets.document(alone, types), rtype)
    except SCIMError as error:
        return _refused(error)
    return None


def _unsent(outcome, rtype, types: dict) -> Verdict:
    target = outcome.row.target
    why = ("IgnoreFlowIfNullOrEmpty: no value, so Entra leaves the attribute out."
           if outcome.dropped else "No value: Entra leaves the attribute out of the request.")
    refused = _validate_alone(target, None, rtype, types) if target == "userName" else None
    if refused is not None:
        return Verdict("refused", refused.detail, "Every user needs a userName: map a source "
                       "every user has.", refused.status)
    if target == WORK_EMAIL:
        blocked = _rules_block({})
        if blocked is not None:
            return blocked
    return Verdict("not sent", why)


def _sent(outcome, rtype, types: dict, data: dict | None) -> Verdict:
    target = outcome.row.target
    refused = _validate_alone(target, outcome.value, rtype, types)
    if refused is not None:
        return Verdict("refused", refused.detail, _type_fix(types.get(target)), refused.status)
    if target == "active" and data is not None and _seat_full(data):
        return Verdict("blocked", _seat_detail(), "Raise the seat limit, or free a seat.")
    if target == WORK_EMAIL and data is not None:
        blocked = _rules_block(data)
        if blocked and blocked.status == 409:
            return blocked
    return Verdict("accepted", " ".join(outcome.warnings))


def _type_fix(type_: str | None) -> str:
    if type_ == "boolean":
        return 'Make the expression give "True" or "False".'
    return f"Make the expression give a valid {type_ or 'string'} value."


def _check_patch(patch: dict, data: dict | None, rtype) -> Verdict:
    if data is None:
        return Verdict("not sent", "Entra could not create the user, so there is nothing to "
                       "update.")
    try:
        operations = scim_patch.operations(patch)
        scim_patch.apply(dict(data), operations, rtype,
                         unknown=settings.get("unknown_attributes"),
                         max_value_length=settings.max_value_length())
    except SCIMError as error:
        return _refused(error)
    return Verdict("accepted", "200 OK")


def notes(rows: list[Row]) -> list[str]:
    """Mapping-wide advice: matching precedence against Rollcall's matching rule."""
    notes = []
    first = [row.target for row in rows if row.matching == 1]
    matching = rules.current()["matching_attribute"]
    wanted = WORK_EMAIL if matching == "email" else "userName"
    if not first:
        notes.append("No mapping has matching precedence 1: Entra needs one to find the "
                     "users Rollcall already has.")
    elif first[0] != wanted:
        notes.append(f"Rollcall matches users on {wanted} (Provisioning rules), but matching "
                     f"precedence 1 is on {first[0]}: give it to {wanted}.")
    for row in rows:
        if "SelectUniqueValue(" in row.source:
            notes.append(f"{row.target}: SelectUniqueValue works only for Active Directory "
                         "targets; Entra doesn't support it for SCIM apps.")
    return notes


def saved() -> list[Row] | None:
    """The mapping saved on the workbench, or None."""
    row = db.session.get(Setting, SETTING)
    if row is None or not row.value:
        return None
    return mapfile.loads(json.dumps(row.value))


def save(rows: list[Row], actor) -> None:
    """Keep the mapping, with a `mapping.save` change record.

    :raise mappings.mapfile.MappingFileError: for a row with a bad target or expression.
    """
    mapfile.check(rows)
    value = json.loads(mapfile.dumps(rows))
    with tx.write() as session:
        current = session.get(Setting, SETTING)
        before = current.value["mappings"] if current is not None and current.value else None
        session.merge(Setting(key=SETTING, value=value))
        audit.record(session, actor, "mapping.save", "Settings", SETTING,
                     "Entra attribute mapping", {"mappings": [before, value["mappings"]]})


def check_directory(rows: list[Row], limit: int = MAX_CHECKED) -> Census:
    """Evaluate the mapping for the people Rollcall has, their source values read back."""
    rtype = users.resource_type()
    types = _types(rows, rtype)
    census = Census(total=_visible_count())
    stmt = select(User.data).where(User.hidden.is_(False)).order_by(User.created, User.id)
    context = Context(is_taken=lambda value: False)
    for data in db.session.execute(stmt.limit(limit)).scalars():
        census.checked += 1
        outcomes = workbench.run(rows, presets.source_from_scim(data), context)
        _count(census, outcomes, data, types)
        _count_post(census, targets.document(workbench.values(outcomes), types), rtype)
    return census


def _count(census: Census, outcomes: list, data: dict, types: dict) -> None:
    for outcome in outcomes:
        tally = census.tally(outcome.row.target)
        if outcome.error is not None:
            tally.errors += 1
            tally.first_error = tally.first_error or str(outcome.error)
        elif not outcome.sent:
            tally.empty += 1
        else:
            stored = targets.read(data, outcome.row.target)
            if targets.typed(outcome.value, types.get(outcome.row.target)) != stored:
                tally.changed += 1


def _count_post(census: Census, post: dict, rtype) -> None:
    try:
        data, _ = users.validate(post, rtype)
    except SCIMError as error:
        census.refused[_refused(error).detail] += 1
        return
    try:
        provisioning.require_email(data)
    except SCIMError as error:
        census.blocked[error.detail] += 1


def _visible_count() -> int:
    stmt = select(func.count()).select_from(User).where(User.hidden.is_(False))
    return db.session.execute(stmt).scalar()

