"""Signatures: Standard Webhooks HMACs, SETs as ES256 JWS (RFC 7515), the JWKS, secret storage.

Secrets that must stay usable (each webhook subscription's signing secret, the private key)
are sealed under SECRET_KEY (services/sealed.py): a database dump alone reveals neither.
Rotating SECRET_KEY therefore needs new subscriptions and a new key pair (docs/events.md).
"""

import base64
import hashlib
import hmac
import json
import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models import EventKey
from models import db
from services import sealed
from services import tx

SECRET_PREFIX = "whsec_"
ALG = "ES256"


def new_webhook_secret() -> str:
    """`whsec_` + base64 of 32 random bytes, as Standard Webhooks receivers expect."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def webhook_headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict:
    """webhook-id, webhook-timestamp and `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": f"v1,{digest}"}


def encrypt(secret_key: str, value: str) -> str:
    return sealed.seal(secret_key, sealed.EVENTS, value)


def decrypt(secret_key: str, value: str) -> str:
    return sealed.open_(secret_key, sealed.EVENTS, value)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int_bytes(number: int) -> bytes:
    return number.to_bytes(32, "big")


def public_jwk(key: ec.EllipticCurvePublicKey) -> dict:
    numbers = key.public_numbers()
    jwk = {"crv": "P-256", "kty": "EC", "x": b64url(_int_bytes(numbers.x)),
           "y": b64url(_int_bytes(numbers.y))}
    # RFC 7638 thumbprint: SHA-256 of the required members in lexicographic order.
    canonical = json.dumps(jwk, sort_keys=True, separators=(",", ":")).encode()
    return {**jwk, "kid": b64url(hashlib.sha256(canonical).digest()), "alg": ALG, "use": "sig"}


def current_key(secret_key: str) -> EventKey:
    """The signing key pair, generated on first use (its own transaction) and kept."""
    key = _current(db.session)
    if key is not None:
        return key
    try:
        with tx.write() as session:
            if _current(session) is None:
                session.add(_generate(secret_key))
    except IntegrityError:
        pass  # another process generated it first: use theirs
    return _current(db.session)


def rotate(secret_key: str) -> EventKey:
    """Sign with a new key pair from now on; the old public key stays in the JWKS."""
    with tx.write() as session:
        old = _current(session)
        if old is not None:
            old.slot = None
            session.flush()
        session.add(_generate(secret_key))
    return _current(db.session)


def _current(session) -> EventKey | None:
    return session.execute(select(EventKey).where(EventKey.slot == "current")).scalar()


def _generate(secret_key: str) -> EventKey:
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    jwk = public_jwk(private.public_key())
    return EventKey(kid=jwk["kid"], alg=ALG, private_encrypted=encrypt(secret_key, pem),
                    public_jwk=jwk, slot="current")


def jwks(secret_key: str) -> dict:
    """Every public key, current and retired, so SETs signed before a rotation still verify.

    The key pair is made on the first call: receivers may fetch it before the first SET.
    """
    current_key(secret_key)
    keys = db.session.execute(select(EventKey.public_jwk).order_by(EventKey.created_at))
    return {"keys": list(keys.scalars())}


def sign_jws(key: EventKey, secret_key: str, claims: dict) -> str:
    """A compact JWS (RFC 7515) of the claims, typ secevent+jwt (RFC 8417 §2.3)."""
    header = {"alg": ALG, "kid": key.kid, "typ": "secevent+jwt"}
    signing_input = f"{b64url(_json(header))}.{b64url(_json(claims))}"
    private = serialization.load_pem_private_key(
        decrypt(secret_key, key.private_encrypted).encode(), password=None)
    der = private.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    return f"{signing_input}.{b64url(_int_bytes(r) + _int_bytes(s))}"


def _json(value) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
