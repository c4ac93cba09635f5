"""Admin-editable settings, cached per process for a second so requests don't query them."""

import time

from sqlalchemy import select

from models import Setting
from models import db

DEFAULTS = {
    # What happens to a value for an attribute that is not in the schema: "ignore" or "reject".
    "unknown_attributes": "ignore",
    # The attribute that identifies a user besides userName: "userName" or "email".
    "matching_attribute": "userName",
    "require_email": False,
    "seat_limit": None,
    "link_on_create": False,
    # What DELETE /Users/{id} does: "delete", or "deactivate" (deactivate and hide).
    "delete_mode": "delete",
    "audit_retention_days": 365,
    # SCIM write bodies on request-log rows are blanked sooner (services/audit/bodies.py).
    "body_retention_days": 30,
}

_TTL = 1.0
_cache: dict = {"at": 0.0, "values": None}


def all_settings() -> dict:
    """Every setting with its default filled in."""
    now = time.monotonic()
    if _cache["values"] is None or now - _cache["at"] > _TTL:
        stored = {s.key: s.value for s in db.session.execute(select(Setting)).scalars()}
        _cache["values"] = {**DEFAULTS, **{k: v for k, v in stored.items() if k in DEFAULTS}}
        _cache["at"] = now
    return _cache["values"]


def get(key: str):
    return all_settings()[key]


def max_value_length() -> int:
    """The longest string value accepted (config SCIM_MAX_VALUE_LENGTH, not an admin setting)."""
    from flask import current_app

    return current_app.config.get("SCIM_MAX_VALUE_LENGTH", 4096)


def invalidate() -> None:
    _cache["values"] = None


def put(session, values: dict) -> dict:
    """Store changed settings in the caller's transaction; returns {key: (before, after)}."""
    current = all_settings()
    changes = {}
    for key, value in values.items():
        if key not in DEFAULTS:
            raise KeyError(key)
        if current.get(key) != value:
            changes[key] = (current.get(key), value)
            session.merge(Setting(key=key, value=value))
    invalidate()
    return changes
