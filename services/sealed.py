"""Secrets Rollcall must use again, stored encrypted: sealed with Fernet under SECRET_KEY.

A webhook signing secret, the events' private key, the alerts' SMTP password: each is
needed in clear to sign or to log in, so it cannot be hashed like a bearer token. Each
purpose derives its own Fernet key from SECRET_KEY by HKDF, so a database dump alone
reveals none of them, and rotating SECRET_KEY means entering them again
(docs/security.md).
"""

import base64
from functools import lru_cache

from cryptography.fernet import Fernet
from cryptography.fernet import InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# The HKDF `info` of each purpose; "rollcall-events-v1" is what the events have used
# since they shipped, so their stored secrets still open.
EVENTS = b"rollcall-events-v1"
ALERTS = b"rollcall-alerts-v1"

__all__ = ["ALERTS", "EVENTS", "InvalidToken", "open_", "seal"]


@lru_cache(maxsize=16)
def _fernet(secret_key: str, purpose: bytes) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=purpose).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def seal(secret_key: str, purpose: bytes, value: str) -> str:
    return _fernet(secret_key, purpose).encrypt(value.encode()).decode()


def open_(secret_key: str, purpose: bytes, value: str) -> str:
    """:raise InvalidToken: when `value` was sealed under another SECRET_KEY or purpose."""
    return _fernet(secret_key, purpose).decrypt(value.encode()).decode()
