"""What a receiver gets: a Standard Webhooks JSON message or an RFC 9967 SET (docs/events.md)."""

import calendar
import json
import time
from dataclasses import dataclass

from models import Event
from models import EventSubscription
from services import directories
from services.events import signing

SET_EVENT = "urn:ietf:params:SCIM:event:prov:"
# RFC 9967 §2.1: create, put and patch come as :full (with data) or :notice (attributes
# only); Rollcall sends :notice, so a SET never carries the resource's personal data.
NOTICE = {"create", "put", "patch"}
ENDPOINTS = {"User": "Users", "Group": "Groups", "CustomField": "Schemas"}


@dataclass(frozen=True)
class Options:
    """What signing needs from the configuration (services never read Flask's config)."""

    secret_key: str
    issuer: str


def attributes(event: Event) -> list[str]:
    """Top-level attribute names the change touched ("name.givenName" -> "name")."""
    names = {path.split(".")[0].split(":")[0] if not path.startswith("urn:") else
             path.rsplit(":", 1)[0] for path in (event.changes or {})}
    return sorted(names)


def resource_uri(event: Event) -> str:
    """The resource's path under /scim/v2: another directory's starts with its slug
    (its Tenant URL is /scim/v2/<slug>), so one receiver can tell directories apart."""
    path = f"/{ENDPOINTS.get(event.resource_type, event.resource_type)}/{event.resource_id}"
    slug = directory_slug(event)
    return path if slug in (directories.DEFAULT_SLUG, "") else f"/{slug}{path}"


def directory_slug(event: Event) -> str:
    """The slug of the event's directory ("" once that directory is deleted)."""
    return directories.slug_of(event.directory_id or directories.DEFAULT_ID)


def webhook_payload(event: Event) -> dict:
    return {
        "type": f"{event.resource_type.lower()}.{event.event_type}",
        "timestamp": event.at.isoformat(timespec="milliseconds") + "Z",
        "data": {
            "eventId": event.event_id,
            "position": event.position,
            "directory": directory_slug(event),
            "resourceType": event.resource_type,
            "id": event.resource_id,
            "name": event.resource_name,
            "uri": resource_uri(event),
            "action": event.action,
            "actor": event.actor,
            "requestId": event.request_id,
            "attributes": attributes(event),
            "changes": event.changes or {},
        },
    }


def set_claims(event: Event, subscription: EventSubscription, issuer: str) -> dict:
    """An RFC 8417 SET with one RFC 9967 provisioning event."""
    uri = SET_EVENT + event.event_type + (":notice" if event.event_type in NOTICE else "")
    body = {"attributes": attributes(event)} if event.event_type in NOTICE else {}
    claims = {
        "iss": issuer,
        "iat": int(time.time()),
        "jti": event.event_id,
        "aud": subscription.url or f"urn:rollcall:subscription:{subscription.id}",
        "sub_id": {"format": "scim", "uri": resource_uri(event)},
        "toe": calendar.timegm(event.at.utctimetuple()),
        "events": {uri: body},
    }
    if event.request_id:
        claims["txn"] = event.request_id
    return claims


def jws(event: Event, subscription: EventSubscription, options: Options) -> str:
    key = signing.current_key(options.secret_key)
    claims = set_claims(event, subscription, options.issuer)
    return signing.sign_jws(key, options.secret_key, claims)


def request(event: Event, subscription: EventSubscription,
            options: Options) -> tuple[bytes, dict]:
    """The body and headers of one push (RFC 8935 §2 for SETs; Standard Webhooks otherwise)."""
    if subscription.format == "set":
        body = jws(event, subscription, options).encode()
        return body, {"Content-Type": "application/secevent+jwt", "Accept": "application/json"}
    body = json.dumps(webhook_payload(event), ensure_ascii=False,
                      separators=(",", ":")).encode()
    secret = signing.decrypt(options.secret_key, subscription.secret_encrypted)
    headers = signing.webhook_headers(secret, event.event_id, int(time.time()), body)
    return body, {"Content-Type": "application/json", **headers}
