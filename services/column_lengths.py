"""Refuse strings longer than their column, as a SCIM error before the database sees them.

SQLite stores any length; PostgreSQL fails the flush (a 500 mid-transaction). Checking
every new or changed row before each flush makes both databases answer the same 400.
"""

from sqlalchemy import String
from sqlalchemy import event
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from scim.errors import InvalidValue

# Column names as a SCIM client knows them; other columns are named table.column.
LABELS = {
    "user_name": "userName", "external_id": "externalId", "display_name": "displayName",
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
    """:raise InvalidValue: naming the attribute whose value does not fit."""
    mapper = inspect(row).mapper
    for attr in mapper.column_attrs:
        column = attr.columns[0]
        length = column.type.length if isinstance(column.type, String) else None
        value = getattr(row, attr.key, None)
        if length and isinstance(value, str) and len(value) > length:
            raise InvalidValue(f"{_label(row, attr.key, mapper)}: value longer than {length} "
                               "characters")


def _label(row, key: str, mapper) -> str:
    table = mapper.local_table.name
    if table == "user_values":
        return f"{row.attr}.{key}"
    if table in ("users", "groups"):
        return LABELS.get(key, key)
    return f"{table}.{key}"
