"""Admin-editable settings: provisioning rules per directory, the rest global.

Cached per process and directory for a second, so requests don't query them.
"""

import time

from sqlalchemy import select

from models import Setting
from models import db
from models.directory import DEFAULT_ID
from services import caches
from services import config
from services.context import current_directory_id

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

# Provisioning rules hold per directory; the rest (retention) for the whole Rollcall. The
# default directory keeps the plain key, as before directories; another stores
# "<key>@<directory id>" and starts from DEFAULTS.
PER_DIRECTORY = ("unknown_attributes", "matching_attribute", "require_email", "seat_limit",
                 "link_on_create", "delete_mode")

_TTL = 1.0
_cache: dict[int, tuple[float, dict]] = {}


def all_settings() -> dict:
    """Every setting of the current directory with its default filled in."""
    directory_id, now = current_directory_id(), time.monotonic()
    cached = _cache.get(directory_id)
    if cached is None or now - cached[0] > _TTL:
        stored = {s.key: s.value for s in db.session.execute(select(Setting)).scalars()}
        values = {k: stored.get(_stored_key(k, directory_id), v) for k, v in DEFAULTS.items()}
        _cache[directory_id] = cached = (now, values)
    return cached[1]


def _stored_key(key: str, directory_id: int) -> str:
    if key in PER_DIRECTORY and directory_id != DEFAULT_ID:
        return f"{key}@{directory_id}"
    return key


def get(key: str):
    return all_settings()[key]


def max_value_length() -> int:
    """The longest string value accepted (config SCIM_MAX_VALUE_LENGTH, not an admin setting)."""
    return config.get("SCIM_MAX_VALUE_LENGTH")


@caches.register
def invalidate() -> None:
    _cache.clear()


def put(session, values: dict) -> dict:
    """Store changed settings in the caller's transaction; returns {key: (before, after)}."""
    current = all_settings()
    changes = {}
    for key, value in values.items():
        if key not in DEFAULTS:
            raise KeyError(key)
        if current.get(key) != value:
            changes[key] = (current.get(key), value)
            session.merge(Setting(key=_stored_key(key, current_directory_id()), value=value))
    invalidate()
    return changes
