"""Provisioning rules: the admin-editable settings that change how SCIM writes behave.

services/users/__init__.py applies them; this module saves them, each change with a change record.
"""

from services import audit
from services import errors
from services import settings
from services import tx
from services.audit import Target

RULES = ("matching_attribute", "require_email", "seat_limit", "link_on_create", "delete_mode",
         "unknown_attributes", "audit_retention_days", "body_retention_days")
# Days, as `flask --app app audit prune` reads them; ten years at most.
RETENTION = ("audit_retention_days", "body_retention_days")
MAX_RETENTION_DAYS = 3650
CHOICES = {
    "matching_attribute": ("userName", "email"),
    "delete_mode": ("delete", "deactivate"),
    "unknown_attributes": ("ignore", "reject"),
}


def current() -> dict:
    """The rules as they are now, defaults filled in."""
    values = settings.all_settings()
    return {key: values[key] for key in RULES}


def save(values: dict, actor) -> dict:
    """Store the rules that changed, with one `settings.change` record; returns the changes.

    :raise errors.Invalid: for an unknown rule or a value outside its choices.
    """
    _check(values)
    with tx.write() as session:
        changes = settings.put(session, values)
        if changes:
            audit.record(session, actor, "settings.change",
                         Target("Settings", "provisioning", "Provisioning rules"),
                         {k: list(v) for k, v in changes.items()})
    settings.invalidate()
    return changes


def format_value(value) -> str:
    """A rule's value as `rules show` prints it and `rules set` reads it back."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def parse(assignment: str) -> tuple[str, object]:
    """Read `KEY=VALUE` as the command line gives it: (rule, typed value).

    :raise ValueError: for a missing `=`, an unknown rule or a value of the wrong kind;
    `save` checks the value against the rule's choices.
    """
    key, sep, text = assignment.partition("=")
    key, text = key.strip(), text.strip()
    if not sep:
        raise ValueError(f"{assignment!r} is not KEY=VALUE")
    if key not in RULES:
        raise ValueError(f"{key!r} is not a provisioning rule (rules: {', '.join(RULES)})")
    if key in ("require_email", "link_on_create"):
        if text.lower() not in ("true", "false"):
            raise ValueError(f"{key} is true or false")
        return key, text.lower() == "true"
    if key == "seat_limit":
        if text and not text.isdigit():
            raise ValueError("the seat limit is a whole number of at least 1, or empty for none")
        return key, int(text) if text else None
    if key in RETENTION:
        if not text.isdigit():
            raise ValueError(f"{key} is a whole number of days from 1 to {MAX_RETENTION_DAYS}")
        return key, int(text)
    return key, text


def _check(values: dict) -> None:
    for key, value in values.items():
        if key not in RULES:
            raise errors.Invalid(f"{key!r} is not a provisioning rule")
        if key in CHOICES and value not in CHOICES[key]:
            raise errors.Invalid(f"{key} must be one of {', '.join(CHOICES[key])}", key)
    limit = values.get("seat_limit")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise errors.Invalid("the seat limit is a whole number of at least 1, or empty for none",
                             "seat_limit")
    for key in RETENTION:
        days = values.get(key)
        if key in values and (not isinstance(days, int) or isinstance(days, bool)
                              or not 1 <= days <= MAX_RETENTION_DAYS):
            raise errors.Invalid(f"{key} is a whole number of days from 1 to {MAX_RETENTION_DAYS}",
                                 key)
    for key in ("require_email", "link_on_create"):
        if key in values and not isinstance(values[key], bool):
            raise errors.Invalid(f"{key} is true or false", key)
