"""Entra-shaped request bodies, as Microsoft's SCIM tutorial for Entra ID shows them.

The tutorial: "Tutorial: Develop and plan provisioning for a SCIM endpoint in Microsoft
Entra ID" (Create User, Update User, Disable User, Update Group).

Users are numbered: user `i` has a fixed userName and id, so the seeder and the load
generator agree on them without asking the server.
"""

import json
import uuid

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
# Seeded ids are uuid5(NAMESPACE, "user-<i>"): valid UUIDs the client can compute.
NAMESPACE = uuid.UUID("6f1d3a52-4c1e-4f0e-9a55-7d2b9c1e0b11")
DEPARTMENTS = ("Sales", "Engineering", "Finance", "Support", "Marketing", "Legal", "HR", "Ops")


def user_name(i: int, kind: str = "user") -> str:
    return f"{kind}.{i:07d}@bench.example.com"


def user_id(i: int, kind: str = "user") -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}-{i}"))


def user(i: int, kind: str = "user") -> dict:
    """The POST /Users body Entra sends for a new user (the tutorial's Create User)."""
    given, family = f"Given{i}", f"Family{i % 9973}"
    name = user_name(i, kind)
    return {
        "schemas": [CORE, ENTERPRISE],
        "externalId": f"{kind}{i:07d}",
        "userName": name,
        "active": True,
        "displayName": f"{given} {family}",
        "emails": [{"primary": True, "type": "work", "value": name}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": f"{given} {family}", "familyName": family, "givenName": given},
        "title": "Analyst",
        "phoneNumbers": [{"type": "work", "value": f"+44 20 7946 {i % 10000:04d}"},
                         {"type": "mobile", "value": f"+44 7700 9{i % 100000:05d}"}],
        "addresses": [{"type": "work", "formatted": f"{i % 500} Bench Street, London",
                       "streetAddress": f"{i % 500} Bench Street", "locality": "London",
                       "postalCode": "EC1A 1BB", "country": "GB"}],
        "roles": [],
        ENTERPRISE: {"department": DEPARTMENTS[i % len(DEPARTMENTS)],
                     "employeeNumber": f"E{i:07d}"},
    }


def patch_title_department(n: int) -> dict:
    """Entra's legacy PATCH for two changed attributes (the tutorial's Update User)."""
    return {"schemas": [PATCH_OP], "Operations": [
        {"op": "Replace", "path": "title", "value": f"Title {n}"},
        {"op": "Replace", "path": f"{ENTERPRISE}:department", "value": f"Dept {n}"},
    ]}


def patch_deactivate() -> dict:
    """Entra's "Disable User" PATCH: active as the string "False" (the tutorial's Disable User)."""
    return {"Operations": [{"op": "Replace", "path": "active", "value": "False"}],
            "schemas": [PATCH_OP]}


def group(name: str) -> dict:
    return {"schemas": [GROUP], "displayName": name, "externalId": name.lower()}


def add_members(ids: list[str]) -> dict:
    """Entra's member add: one `Add` of `members` with a list of values (Update Group)."""
    return {"schemas": [PATCH_OP], "Operations": [
        {"op": "Add", "path": "members", "value": [{"value": i} for i in ids]}]}


def bulk_users(first: int, count: int, kind: str = "bulk") -> dict:
    """A BulkRequest creating `count` users (RFC 7644 §3.7)."""
    ops = [{"method": "POST", "path": "/Users", "bulkId": f"b{i}", "data": user(i, kind)}
           for i in range(first, first + count)]
    return {"schemas": [BULK_REQUEST], "Operations": ops}


def compact(body: dict) -> str:
    return json.dumps(body, separators=(",", ":"))
