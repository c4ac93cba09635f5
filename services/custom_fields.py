"""Custom fields: declared by admins, published at once in the custom User extension."""

import re
import time

from flask import current_app
from sqlalchemy import select

from models import CustomField
from models import utcnow
from scim import schema
from scim.errors import InvalidValue
from scim.errors import Uniqueness
from services import audit
from services import tx

NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
TYPES = ("string", "boolean", "integer", "decimal", "dateTime", "reference")

_TTL = 1.0
_cache: dict = {"at": 0.0, "fields": None}


def active() -> list[CustomField]:
    """The declared, unretired fields (cached for a second per process)."""
    now = time.monotonic()
    if _cache["fields"] is None or now - _cache["at"] > _TTL:
        from models import db

        query = (select(CustomField).where(CustomField.retired_at.is_(None))
                 .order_by(CustomField.name))
        fields = list(db.session.execute(query).scalars())
        for field in fields:
            db.session.expunge(field)
        _cache["fields"] = fields
        _cache["at"] = now
    return _cache["fields"]


def invalidate() -> None:
    _cache["fields"] = None


def urn() -> str:
    return current_app.config["CUSTOM_SCHEMA_URN"]


def user_type() -> schema.ResourceType:
    """The User resource type as it is now, custom extension included."""
    fields = active()
    return schema.user_type(schema.custom_schema(urn(), fields) if fields else None)


def all_fields() -> list[CustomField]:
    from models import db

    return list(db.session.execute(select(CustomField).order_by(CustomField.name)).scalars())


def define(name: str, type_: str, multi_valued: bool, description: str, actor) -> CustomField:
    """Declare a field.

    :raise InvalidValue: for a bad name or type.
    :raise Uniqueness: when a field of that name exists (retired fields keep their name).
    """
    _check(name, type_)
    with tx.write() as session:
        existing = session.execute(select(CustomField).where(CustomField.name.ilike(name)))
        if existing.scalar_one_or_none() is not None:
            raise Uniqueness(f"a custom field named {name!r} already exists")
        field = CustomField(name=name, type=type_, multi_valued=multi_valued,
                            description=description or "")
        session.add(field)
        audit.record(session, actor, "custom_field.declare", "CustomField", name, name,
                     {"type": [None, type_], "multiValued": [None, multi_valued],
                      "description": [None, description or ""]})
    invalidate()
    return field


def describe(name: str, description: str, actor) -> CustomField:
    """Change a field's description."""
    with tx.write() as session:
        field = _get(session, name)
        before = field.description
        field.description = description or ""
        audit.record(session, actor, "custom_field.describe", "CustomField", name, name,
                     {"description": [before, field.description]})
    invalidate()
    return field


def retire(name: str, actor) -> CustomField:
    """Retire a field: it leaves the schema; stored values stay in the audit trail."""
    with tx.write() as session:
        field = _get(session, name)
        if field.retired_at is None:
            field.retired_at = utcnow()
            audit.record(session, actor, "custom_field.retire", "CustomField", name, name, None)
    invalidate()
    return field


def _get(session, name: str) -> CustomField:
    stmt = select(CustomField).where(CustomField.name == name)
    field = session.execute(stmt).scalar_one_or_none()
    if field is None:
        raise InvalidValue(f"no custom field named {name!r}", status=404)
    return field


def _check(name: str, type_: str) -> None:
    if not NAME.match(name or ""):
        raise InvalidValue("a field name starts with a letter and has only letters, digits, "
                           "- and _ "
                           "(at most 64 characters)")
    if type_ not in TYPES:
        raise InvalidValue(f"type must be one of {', '.join(TYPES)}")
    core = schema.user_type()
    if core.core.attr(name):
        raise InvalidValue(f"{name!r} is already a core User attribute: map Entra to it directly")
    for extension in core.extensions:
        if extension.attr(name):
            where = ("the enterprise extension's" if extension.id == schema.ENTERPRISE
                     else f"{extension.id}'s")
            raise InvalidValue(f"{name!r} is already {where} attribute: map Entra to "
                               f"{extension.id}:{name} instead")
