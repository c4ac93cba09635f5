"""Outbound change events: the outbox written with each change record.

`emit` runs inside the change's transaction (services/audit calls it where change records
are inserted), so a committed change always has its event and a rolled-back one never does.
Positions, fan-out to subscriptions, signing and delivery come later, after commit
(sequencer.py, delivery.py, poll.py).

Which change records are events (docs/events.md): users, groups and their memberships, and
the custom-field declarations that change the User schema. Tokens, admin accounts, sign-ins,
provisioning rules and event subscriptions themselves are not: consumers of the directory
have no use for them, and they stay in the audit trail.
"""

import uuid

from sqlalchemy import insert

from models import Event

# change record action -> (resource type, event type); event types follow RFC 9967 §2.
ACTIONS = {
    "user.create": ("User", "create"),
    "user.link": ("User", "put"),
    "user.revive": ("User", "put"),
    "user.replace": ("User", "put"),
    "user.patch": ("User", "patch"),
    "user.hide": ("User", "deactivate"),
    "user.delete": ("User", "delete"),
    "group.create": ("Group", "create"),
    "group.replace": ("Group", "put"),
    "group.patch": ("Group", "patch"),
    "group.delete": ("Group", "delete"),
    "custom_field.declare": ("CustomField", "create"),
    "custom_field.describe": ("CustomField", "patch"),
    "custom_field.retire": ("CustomField", "delete"),
}
RESOURCE_TYPES = ("User", "Group", "CustomField")
EVENT_TYPES = ("create", "put", "patch", "delete", "activate", "deactivate")


INSERT = insert(Event.__table__)  # built once: every write sends it


def emit(session, records: list[dict]) -> None:
    """Add an event for each change record (the columns `audit.entry` builds) that is one."""
    rows = [row for row in map(event_row, records) if row is not None]
    if rows:
        session.connection().execute(INSERT, rows)  # Core, as audit.record_many


def event_row(record: dict) -> dict | None:
    kind = ACTIONS.get(record.get("action"))
    if kind is None and record.get("resource_type") in ("User", "Group"):
        kind = (record["resource_type"], "patch")  # a write path added later still tells
    if kind is None:
        return None
    resource_type, event_type = kind
    changes = record.get("changes")
    return {
        "event_id": str(uuid.uuid4()),
        "at": record["at"],
        "request_id": record.get("request_id"),
        "actor": f"{record.get('actor_kind')}:{record.get('actor')}",
        "action": record["action"],
        "event_type": (event_type in ("put", "patch") and _activation(changes)) or event_type,
        "resource_type": resource_type,
        "resource_id": record.get("resource_id"),
        "resource_name": record.get("resource_name"),
        "changes": changes,
    }


def _activation(changes: dict | None) -> str | None:
    """A write that flips `active` is an activate or deactivate event (RFC 9967)."""
    flip = (changes or {}).get("active")
    if not flip or flip[0] is None or flip[1] is None or flip[0] == flip[1]:
        return None
    return "activate" if flip[1] else "deactivate"
