"""Turning stored users and groups into SCIM resources (RFC 7643 §3, §4)."""

from models import User
from scim.schema import ENTERPRISE
from scim.schema import GROUP
from scim.schema import USER
from scim.schema import USER_SCHEMA
from services import memberships

# Attributes come out in the schema's order (userName first), extensions after the core.
_RANK = {name: i for i, name in enumerate(
    ["externalId", *(a.name for a in USER_SCHEMA.attributes)])}


def timestamp(value) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def meta(kind: str, row, location: str) -> dict:
    return {
        "resourceType": kind,
        "created": timestamp(row.created),
        "lastModified": timestamp(row.last_modified),
        "location": location,
        "version": f'W/"{row.version}"',
    }


def users(rows: list[User], base_url: str, with_groups: bool = True) -> list[dict]:
    """Serialize a page of users; their groups come from one query for the whole page."""
    groups = memberships.groups_of([u.id for u in rows]) if with_groups else {}
    return [user(u, base_url, groups.get(u.id, []) if with_groups else None) for u in rows]


def user(row: User, base_url: str, groups: list | None = None) -> dict:
    data = row.data
    extensions = [k for k in data if k.startswith("urn:")]
    out = {"schemas": [USER, *extensions], "id": row.id}
    for key in sorted(data, key=lambda k: _RANK.get(k, len(_RANK))):
        out[key] = data[key]
    manager = (data.get(ENTERPRISE) or {}).get("manager")
    if manager:
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
