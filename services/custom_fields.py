"""Custom fields: declared by admins, published at once in the custom User extension.

Retiring a field takes it out of /Schemas and moves each user's value out of `data` into
`users.retired_values`: reads no longer show it, writes that carry it ignore it (noted),
and no stored value can make a write fail validation. Restoring moves the values back.
"""

import re
import time

from sqlalchemy import select

from models import CustomField
from models import utcnow
from scim import schema
from scim.errors import InvalidValue
from scim.errors import Uniqueness
from services import audit
from services import caches
from services import config
from services import shelf
from services import tx
from services.audit import Target
from services.context import current_directory_id

NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
TYPES = ("string", "boolean", "integer", "decimal", "dateTime", "reference")

_TTL = 1.0
# {directory id: (read at, its declared fields)}: each directory declares its own fields.
_cache: dict[int, tuple[float, list]] = {}


def active() -> list[CustomField]:
    """The declared, unretired fields of the current directory (cached for a second per process)."""
    return [f for f in _declared() if f.retired_at is None]


def retired_names() -> tuple[str, ...]:
    return tuple(f.name for f in _declared() if f.retired_at is not None)


def _declared() -> list[CustomField]:
    directory_id, now = current_directory_id(), time.monotonic()
    cached = _cache.get(directory_id)
    if cached is None or now - cached[0] > _TTL:
        from models import db

        fields = list(db.session.execute(select(CustomField).order_by(CustomField.name)).scalars())
        for field in fields:
            db.session.expunge(field)
        _cache[directory_id] = cached = (now, fields)
    return cached[1]


@caches.register
def invalidate() -> None:
    _cache.clear()


def urn() -> str:
    return config.get("CUSTOM_SCHEMA_URN")


def user_type() -> schema.ResourceType:
    """The User resource type as it is now, custom extension included."""
    fields, retired = active(), retired_names()
    if not fields and not retired:
        return schema.user_type()
    return schema.user_type(schema.custom_schema(urn(), fields, retired))


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
        audit.record(session, actor, "custom_field.declare", Target("CustomField", name, name),
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
        audit.record(session, actor, "custom_field.describe", Target("CustomField", name, name),
                     {"description": [before, field.description]})
    invalidate()
    return field


def retire(name: str, actor) -> CustomField:
    """Retire a field: it leaves the schema, and users' values move to `retired_values`."""
    with tx.write() as session:
        field = _get(session, name)
        if field.retired_at is None:
            field.retired_at = utcnow()
            moved = shelf.shelve(session, urn(), field.name)
            audit.record(session, actor, "custom_field.retire", Target("CustomField", name, name),
                         {"retired": [False, True], "valuesKept": [None, moved]})
    invalidate()
    return field


def restore(name: str, actor) -> CustomField:
    """Bring a retired field back, in /Schemas and with the values its users held."""
    with tx.write() as session:
        field = _get(session, name)
        if field.retired_at is not None:
            field.retired_at = None
            moved = shelf.unshelve(session, urn(), field.name)
            audit.record(session, actor, "custom_field.restore", Target("CustomField", name, name),
                         {"retired": [True, False], "valuesRestored": [None, moved]})
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
