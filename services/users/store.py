"""How a canonical SCIM user dict maps onto the users table and its indexed copies."""

import json

from sqlalchemy import BigInteger
from sqlalchemy import Float
from sqlalchemy import cast
from sqlalchemy import select

from models import User
from models import UserValue
from scim import casefold
from scim import query
from scim.errors import InvalidFilter
from scim.schema import ENTERPRISE
from services import column_lengths

# (column attribute, SCIM path) pairs kept in sync with `data` for indexed filtering.
CORE_COLUMNS = {
    "user_name": ("userName",),
    "external_id": ("externalId",),
    "display_name": ("displayName",),
    "given_name": ("name", "givenName"),
    "family_name": ("name", "familyName"),
    "title": ("title",),
    "employee_number": (ENTERPRISE, "employeeNumber"),
    "department": (ENTERPRISE, "department"),
    "division": (ENTERPRISE, "division"),
    "organization": (ENTERPRISE, "organization"),
    "cost_center": (ENTERPRISE, "costCenter"),
}

# Filter paths (lower case) answered by a column rather than the JSON document.
FILTER_COLUMNS = {
    ("username", None): query.Column(User.user_name, key=User.user_name_key),
    ("externalid", None): query.Column(User.external_id, case_exact=True),
    ("id", None): query.Column(User.id, case_exact=True),
    ("displayname", None): query.Column(User.display_name),
    ("name", "givenname"): query.Column(User.given_name),
    ("name", "familyname"): query.Column(User.family_name),
    ("title", None): query.Column(User.title),
    ("active", None): query.Column(User.active, "boolean"),
    ("meta", "created"): query.Column(User.created, "dateTime", convert=lambda d: _naive(d)),
    ("meta", "lastmodified"): query.Column(User.last_modified, "dateTime",
                                           convert=lambda d: _naive(d)),
    ("employeenumber", None): query.Column(User.employee_number),
    ("department", None): query.Column(User.department),
    ("division", None): query.Column(User.division),
    ("organization", None): query.Column(User.organization),
    ("costcenter", None): query.Column(User.cost_center),
    ("manager", "value"): query.Column(User.manager_id, case_exact=True),
}


def _naive(value):
    from datetime import UTC

    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def _get(data: dict, path: tuple):
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def columns(data: dict) -> dict:
    """The indexed column values of a canonical dict, by column name."""
    out = {column: _get(data, path) for column, path in CORE_COLUMNS.items()}
    out["user_name_key"] = casefold.key_or_none(out["user_name"])
    out["active"] = data.get("active", True) is not False
    out["manager_id"] = _get(data, (ENTERPRISE, "manager", "value"))
    return out


def sync_columns(user: User, data: dict) -> None:
    """Copy the indexed attributes out of the canonical dict."""
    for column, value in columns(data).items():
        setattr(user, column, value)


def multi_valued(rtype) -> list[tuple[str | None, str]]:
    """(extension urn or None, attribute name) of every stored multi-valued attribute."""
    out = [(None, a.name) for a in rtype.core.attributes if a.multi_valued and a.name != "groups"]
    for ext in rtype.extensions:
        out += [(ext.id, a.name) for a in ext.attributes if a.multi_valued]
    return out


def row_key(urn: str | None, name: str) -> str:
    return name if urn is None else f"{urn}:{name}"


def value_changes(user_id: str, before: dict, after: dict, rtype) -> tuple[list, list]:
    """(attributes whose child rows are replaced, the rows to insert) for a write.

    Only multi-valued attributes whose values changed are rewritten; the length of each
    new row is checked here, as the flush would check an ORM row.
    """
    keys, rows = [], []
    for urn, name in multi_valued(rtype):
        old = _get(before, (urn, name) if urn else (name,)) or []
        new = _get(after, (urn, name) if urn else (name,)) or []
        if old == new:
            continue
        key = row_key(urn, name)
        if old:
            keys.append(key)
        rows += _rows(user_id, key, new)
    for row in rows:
        column_lengths.check_values(UserValue, row)
    return keys, rows


def _rows(user_id: str, key: str, entries: list) -> list[dict]:
    rows = []
    for entry in entries:
        if not isinstance(entry, dict):
            entry = {"value": entry}
        value = entry.get("value")
        if value is not None and not isinstance(value, str):
            value = json.dumps(value)
        rows.append({"user_id": user_id, "attr": key, "value": value,
                     "value_key": casefold.key_or_none(value), "type": entry.get("type"),
                     "primary": entry.get("primary") is True, "display": entry.get("display"),
                     "entry": entry})
    return rows


def existing(session, ids: list, lock: bool = False) -> set:
    """The ids among `ids` of visible users, in one query.

    With `lock`, inside a write transaction, the rows are read FOR KEY SHARE on
    PostgreSQL: a DELETE of a manager (FOR UPDATE) then waits for this write to commit
    and clears the reference it sees, or this read waits for the DELETE and finds no
    manager. SQLite serialises writers anyway.
    """
    if not ids:
        return set()
    stmt = select(User.id).where(User.id.in_(ids), User.hidden.is_(False))
    if lock and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(key_share=True, read=True)
    return set(session.execute(stmt).scalars())


def resolver(rtype):
    """The filter resolver for Users: columns where indexed, the JSON document otherwise."""
    multi = {row_key(u, n).lower(): row_key(u, n) for u, n in multi_valued(rtype)}

    def resolve(path):
        schema, _ = rtype.split_urn(path.urn + ":" + path.attr) if path.urn else (rtype.core, "")
        if path.urn and schema is None:
            raise InvalidFilter(f"unknown schema {path.urn!r}")
        urn = None if schema is rtype.core else schema.id
        attr = _attribute(rtype, urn, path.attr)
        column = FILTER_COLUMNS.get((attr.name.lower(), path.sub.lower() if path.sub else None))
        if column is not None and (urn in (None, ENTERPRISE)):
            return column
        key = row_key(urn, attr.name).lower()
        if attr.multi_valued and key in multi:
            return _multi(multi[key], attr)
        if attr.type == "complex" and not path.sub:
            # `manager eq "id"` (Entra's reference check) compares the manager's value.
            return query.Complex(default="value" if attr.sub("value") else None)
        return _json_column(urn, attr, path.sub)

    return resolve


def _attribute(rtype, urn, name):
    schema = rtype.extension(urn) if urn else None
    candidates = [schema] if schema else [rtype.core, *rtype.extensions]
    for candidate in candidates:
        attr = candidate.attr(name)
        if attr is not None:
            return attr
    from scim.schema import COMMON

    for attr in COMMON:
        if attr.name.lower() == name.lower() and urn is None:
            return attr
    raise InvalidFilter(f"unknown attribute {name!r}")


def _multi(key: str, attr) -> query.Multi:
    value = attr.sub("value") or attr
    subs = {"value": query.Column(UserValue.value, value.type, case_exact=value.case_exact,
                                  key=UserValue.value_key),
            "type": query.Column(UserValue.type),
            "primary": query.Column(UserValue.primary, "boolean"),
            "display": query.Column(UserValue.display)}
    for sub in attr.sub_attributes:
        if sub.name.lower() not in subs:
            subs[sub.name.lower()] = query.Column(UserValue.entry[sub.name].as_string(), sub.type)
    if not attr.sub_attributes:  # a simple multi-valued custom field: its values are `value`
        subs = {"value": _typed(UserValue.value, attr.type, key=UserValue.value_key)}

    def exists(condition):
        rows = select(UserValue.user_id).where(UserValue.attr == key)
        if condition is not None:
            rows = rows.where(condition)
        # IN (…) rather than a correlated EXISTS: both databases drive it from the index.
        return User.id.in_(rows)

    return query.Multi(exists=exists, subs=subs)


def _json_column(urn, attr, sub_name) -> query.Column:
    path = [urn] if urn else []
    path.append(attr.name)
    target = attr
    if sub_name:
        target = attr.sub(sub_name)
        if target is None:
            raise InvalidFilter(f"unknown sub-attribute {attr.name}.{sub_name}")
        path.append(target.name)
    if target.type == "complex":
        raise InvalidFilter(f"{attr.name} is complex: filter on one of its sub-attributes")
    element = User.data[tuple(path)]
    if target.type == "boolean":
        return query.Column(element.as_boolean(), "boolean")
    return _typed(element.as_string(), target.type, case_exact=target.case_exact)


def _typed(text, kind: str, case_exact: bool = False, key=None) -> query.Column:
    """A stored value read as text, compared as its type.

    Integers as 64-bit, decimals as floats, dateTimes as instants (stored in UTC).
    """
    if kind == "integer":
        return query.Column(cast(text, BigInteger), kind)
    if kind == "decimal":
        return query.Column(cast(text, Float), kind)
    if kind == "dateTime":
        return query.Column(query.instant(text), kind, convert=query.instant_literal)
    if kind == "boolean":  # child rows hold json.dumps(value): "true" / "false"
        return query.Column(text, kind, convert=json.dumps)
    return query.Column(text, kind, case_exact=case_exact, key=key)

