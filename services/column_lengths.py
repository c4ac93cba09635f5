"""Refuse strings longer than their column, as a SCIM error before the database sees them.

SQLite stores any length; PostgreSQL fails the flush (a 500 mid-transaction). Checking
every new or changed row before each flush makes both databases answer the same 400.
"""

from functools import cache

from sqlalchemy import String
from sqlalchemy import event
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from services import errors

# Column names as a SCIM client knows them; other columns are named table.column.
LABELS = {
    "user_name": "userName", "user_name_key": "userName", "external_id": "externalId",
    "display_name": "displayName", "display_name_key": "displayName",
    "given_name": "name.givenName", "family_name": "name.familyName", "title": "title",
    "employee_number": "employeeNumber", "department": "department", "division": "division",
    "organization": "organization", "cost_center": "costCenter",
}


def install() -> None:
    if not event.contains(Session, "before_flush", check_flush):
        event.listen(Session, "before_flush", check_flush)


def check_flush(session, _context, _instances) -> None:
    for row in (*session.new, *session.dirty):
        check_row(row)


def check_row(row) -> None:
    """:raise errors.Invalid: naming the attribute whose value does not fit."""
    model = type(row)
    check_values(model, {key: getattr(row, key, None) for key, _ in _limits(model)})


def check_values(model, values: dict) -> None:
    """check_row for a row given as a dict, as Core INSERTs and UPDATEs send it.

    :raise errors.Invalid: for the first column whose value does not fit.
    """
    for key, length in _limits(model):
        value = values.get(key)
        if isinstance(value, str) and len(value) > length:
            label = _label(model.__table__.name, key, values)
            raise errors.Invalid(f"{label}: value longer than {length} characters", label)


@cache
def _limits(model) -> tuple[tuple[str, int], ...]:
    """(attribute, length) of each length-limited string column of a mapped class."""
    out = []
    for attr in inspect(model).column_attrs:
        kind = attr.columns[0].type
        if isinstance(kind, String) and kind.length:
            out.append((attr.key, kind.length))
    return tuple(out)


def _label(table: str, key: str, values: dict) -> str:
    if table == "user_values":
        return f"{values.get('attr')}.{key}"
    if table in ("users", "groups"):
        return LABELS.get(key, key)
    return f"{table}.{key}"
