"""Turning stored users and groups into SCIM resources (RFC 7643 §3, §4)."""

from models import User
from scim.schema import ENTERPRISE
from scim.schema import GROUP
from scim.schema import USER
from scim.schema import USER_SCHEMA
from services.groups import reads as memberships
from services.users import managers

# Attributes come out in the schema's order (userName first), extensions after the core.
_RANK = {name: i for i, name in enumerate(
    ["externalId", *(a.name for a in USER_SCHEMA.attributes)])}
# Documents come in a few shapes (the same keys): each shape's order is worked out once.
_SHAPES: dict[tuple, tuple] = {}
_MAX_SHAPES = 1024


def timestamp(value) -> str:
    return value.isoformat(timespec="milliseconds") + "Z"


def meta(kind: str, row, location: str) -> dict:
    created = timestamp(row.created)
    modified = created if row.last_modified == row.created else timestamp(row.last_modified)
    return {
        "resourceType": kind,
        "created": created,
        "lastModified": modified,
        "location": location,
        "version": f'W/"{row.version}"',
    }


def users(rows: list, base_url: str, with_groups: bool = True) -> list[dict]:
    """Serialize a page of users; their groups come from one query for the whole page.

    `rows` are User objects or services.resources.listing.Row.
    """
    groups = memberships.groups_of([u.id for u in rows]) if with_groups else {}
    return [user(u, base_url, groups.get(u.id, []) if with_groups else None) for u in rows]


def user(row: User, base_url: str, groups: list | None = None) -> dict:
    data = row.data
    keys, extensions = _shape(tuple(data))
    out = {"schemas": [USER, *extensions], "id": row.id}
    for key in keys:
        out[key] = data[key]
    manager = (data.get(ENTERPRISE) or {}).get("manager")
    if manager and managers.is_id(manager.get("value")):  # a pending one has no $ref
        enterprise = dict(out[ENTERPRISE])
        enterprise["manager"] = {**manager, "$ref": f"{base_url}/Users/{manager['value']}"}
        out[ENTERPRISE] = enterprise
    if groups:
        out["groups"] = [
            {"value": gid, "$ref": f"{base_url}/Groups/{gid}", "display": name,
             "type": "direct" if direct else "indirect"}
            for gid, name, direct in groups
        ]
    out["meta"] = meta("User", row, f"{base_url}/Users/{row.id}")
    return out


def group(row, base_url: str, members: list[dict] | None) -> dict:
    out = {"schemas": [GROUP], "id": row.id, **row.data}
    if members is not None:
        out["members"] = members
    out["meta"] = meta("Group", row, f"{base_url}/Groups/{row.id}")
    return out


def _shape(keys: tuple) -> tuple[tuple, tuple]:
    """(keys in output order, extension schemas) of a document with these keys."""
    shape = _SHAPES.get(keys)
    if shape is None:
        ordered = tuple(sorted(keys, key=lambda k: _RANK.get(k, len(_RANK))))
        shape = ordered, tuple(k for k in keys if k.startswith("urn:"))
        if len(_SHAPES) < _MAX_SHAPES:  # beyond it, rare shapes are worked out each time
            _SHAPES[keys] = shape
    return shape
