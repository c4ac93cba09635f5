"""Provisioning rules: the admin-editable settings that change how SCIM writes behave.

services/users/__init__.py applies them; this module saves them, each change with a change record.
"""

from services import audit
from services import settings
from services import tx

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

    :raise ValueError: for an unknown rule or a value outside its choices.
    """
    _check(values)
    with tx.write() as session:
        changes = settings.put(session, values)
        if changes:
            audit.record(session, actor, "settings.change", "Settings", "provisioning",
                         "Provisioning rules", {k: list(v) for k, v in changes.items()})
    settings.invalidate()
    return changes


def _check(values: dict) -> None:
    for key, value in values.items():
        if key not in RULES:
            raise ValueError(f"{key!r} is not a provisioning rule")
        if key in CHOICES and value not in CHOICES[key]:
            raise ValueError(f"{key} must be one of {', '.join(CHOICES[key])}")
    limit = values.get("seat_limit")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise ValueError("the seat limit is a whole number of at least 1, or empty for none")
    for key in RETENTION:
        days = values.get(key)
        if key in values and (not isinstance(days, int) or isinstance(days, bool)
                              or not 1 <= days <= MAX_RETENTION_DAYS):
            raise ValueError(f"{key} is a whole number of days from 1 to {MAX_RETENTION_DAYS}")
    for key in ("require_email", "link_on_create"):
        if key in values and not isinstance(values[key], bool):
            raise ValueError(f"{key} is true or false")
