"""Discovery documents (RFC 7644 §4, RFC 7643 §5–§7), built from the schema registry."""

from dataclasses import dataclass

from scim.schema import ResourceType

SPC = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


@dataclass(frozen=True)
class Limits:
    max_results: int
    max_operations: int
    max_payload: int
    default_count: int = 100
    cursor_timeout: int = 600


def service_provider_config(limits: Limits, base_url: str, docs_url: str) -> dict:
    """What Rollcall supports, truthfully: PATCH, Bulk, filter, sort, ETags and both paging styles.

    No password change.
    """
    return {
        "schemas": [SPC],
        "documentationUri": docs_url,
        "patch": {"supported": True},
        "bulk": {"supported": True, "maxOperations": limits.max_operations,
                 "maxPayloadSize": limits.max_payload},
        "filter": {"supported": True, "maxResults": limits.max_results},
        "changePassword": {"supported": False},
        "sort": {"supported": True},
        "pagination": pagination(limits),
        "etag": {"supported": True},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "A bearer token generated in the Rollcall admin UI or CLI.",
            "specUri": "https://www.rfc-editor.org/rfc/rfc6750",
            "documentationUri": docs_url,
            "primary": True,
        }],
        "meta": {"resourceType": "ServiceProviderConfig",
                 "location": f"{base_url}/ServiceProviderConfig"},
    }


def pagination(limits: Limits) -> dict:
    """Both paging styles (RFC 9865 §4); index stays the default, as RFC 7644 clients expect."""
    return {"cursor": True, "index": True, "defaultPaginationMethod": "index",
            "defaultPageSize": limits.default_count, "maxPageSize": limits.max_results,
            "cursorTimeout": limits.cursor_timeout}


def list_response(resources: list[dict], total: int | None = None, start: int = 1) -> dict:
    return {
        "schemas": [LIST],
        "totalResults": len(resources) if total is None else total,
        "startIndex": start,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


def resource_types(types: list[ResourceType], base_url: str) -> list[dict]:
    return [t.to_dict(base_url) for t in types]


def schemas(types: list[ResourceType], base_url: str) -> list[dict]:
    seen, out = set(), []
    for rtype in types:
        for schema in rtype.schemas:
            if schema.id not in seen:
                seen.add(schema.id)
                out.append(schema.to_dict(base_url))
    return out
