"""Who may read /metrics: a dedicated token, or an address in METRICS_ALLOW.

METRICS_TOKEN (config) is compared as it is; a token generated in the UI is stored as a
SHA-256 only (row "metrics" of ops_channels), like the SCIM tokens. SCIM tokens never
open /metrics, and the metrics token never opens SCIM.
"""

import hashlib
import hmac
import ipaddress
import secrets

from models import OpsChannel
from models import db
from models import utcnow
from services import audit
from services import tx
from services.ops.channels import METRICS

PREFIX = "rcmetrics_"


def generate(actor) -> str:
    """A new metrics token (replacing the previous one); the secret is returned once."""
    secret = PREFIX + secrets.token_urlsafe(32)
    with tx.write() as session:
        row = session.get(OpsChannel, METRICS) or OpsChannel(kind=METRICS, config={})
        row.enabled, row.secret, row.updated_at = True, _hash(secret), utcnow()
        session.add(row)
        audit.record(session, actor, "metrics.token", "Setting", METRICS, METRICS,
                     {"token": [None, secret[: len(PREFIX) + 4] + "…"]})
    return secret


def describe(config) -> dict:
    row = db.session.get(OpsChannel, METRICS)
    return {"env_token": bool(config.get("METRICS_TOKEN")),
            "generated": row is not None and bool(row.secret),
            "generated_at": row.updated_at if row is not None else None,
            "allow": config.get("METRICS_ALLOW") or ""}


def allowed(authorization: str | None, address: str | None, config) -> bool:
    """Whether a scrape with this Authorization header from this address may read metrics."""
    scheme, _, presented = (authorization or "").partition(" ")
    presented = presented.strip()
    if scheme.lower() == "bearer" and presented and _token_ok(presented, config):
        return True
    return _address_ok(address, config.get("METRICS_ALLOW") or "")


def _token_ok(presented: str, config) -> bool:
    # WSGI hands header values over as Latin-1; the token's own bytes are UTF-8.
    try:
        raw = presented.encode("latin-1")
    except UnicodeEncodeError:
        raw = presented.encode()
    expected = config.get("METRICS_TOKEN") or ""
    if expected and hmac.compare_digest(raw, expected.encode()):
        return True
    row = db.session.get(OpsChannel, METRICS)
    return bool(row and row.secret and hmac.compare_digest(hashlib.sha256(raw).hexdigest(),
                                                           row.secret))


def _address_ok(address: str | None, allow: str) -> bool:
    if not address or not allow.strip():
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for cidr in allow.replace(";", ",").split(","):
        try:
            if cidr.strip() and ip in ipaddress.ip_network(cidr.strip(), strict=False):
                return True
        except ValueError:
            continue
    return False


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
