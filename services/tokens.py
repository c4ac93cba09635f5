"""Bearer tokens: issue, list, revoke, authenticate. Only SHA-256 hashes are stored.

The secrets carry 256 random bits, so a fast hash is as safe as a slow one here and
keeps authentication off the request's critical path; the recognisable `rcscim_`
prefix lets secret scanners find leaked tokens.

A token serves one directory (`directory_id`, the directory current when it was issued);
names are unique across directories, so a name alone says which token the request log
and the CLI mean. Listing, revoking and reading go by the current directory.
"""

import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from sqlalchemy import bindparam
from sqlalchemy import select
from sqlalchemy import update

from models import ApiToken
from models import db
from models import utcnow
from models.directory import DEFAULT_ID
from models.scoping import ALL_DIRECTORIES
from scim.errors import Unauthorized
from services import audit
from services import caches
from services import errors
from services import tx
from services.audit import Target

SECRET_PREFIX = "rcscim_"
# Anything shaped like a secret of ours: masked wherever text is logged or kept.
TOKEN_SHAPED = re.compile(r"rcscim_[A-Za-z0-9_-]+", re.I)
DEFAULT_DAYS = 90
MAX_DAYS = 3650
# last_used_at is written at most once a minute per token and process.
TOUCH_INTERVAL = 60.0


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    prefix: str
    directory_id: int = DEFAULT_ID


# The name is the token's change records' resource id, a 64-character column.
MAX_NAME = 64


class Refused(Unauthorized):
    """A 401 for a token Rollcall knows (expired, revoked) or for an unknown one.

    `token` names it (name and prefix, never the secret) so the request log can say which
    token was refused; `reason` is "expired", "revoked" or "unknown".
    """

    def __init__(self, detail: str, reason: str, token: TokenInfo | None = None):
        super().__init__(detail)
        self.reason = reason
        self.token = token



def mask(text: str) -> str:
    """`text` with every token-shaped string (a secret, or a fragment of one) masked."""
    return TOKEN_SHAPED.sub("rcscim_[redacted]", text)

def issue(name: str, days: int, actor) -> tuple[ApiToken, str]:
    """Create a token; returns it with its secret, which is never available again.

    :raise errors.Invalid: for an empty name or an expiry outside 1..3650 days.
    :raise errors.Conflict: when a token of that name exists.
    """
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise errors.Invalid(f"a token needs a name of 1 to {MAX_NAME} characters", "name")
    if not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise errors.Invalid(f"expiry must be between 1 and {MAX_DAYS} days", "days")
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    with tx.write() as session:
        taken = select(ApiToken.id).where(ApiToken.name == name)
        if session.execute(taken.execution_options(**ALL_DIRECTORIES)).first():
            raise errors.Conflict(f"a token named {name!r} exists already", "name")
        now = utcnow()
        token = ApiToken(name=name, prefix=secret[: len(SECRET_PREFIX) + 6],
                         token_hash=_hash(secret), created_by=actor.label, created_at=now,
                         expires_at=now + timedelta(days=days))
        session.add(token)
        audit.record(session, actor, "token.issue", Target("Token", name, name),
                     {"prefix": [None, token.prefix],
                      "expires": [None, token.expires_at.isoformat()]})
    return token, secret


def revoke(name: str, actor) -> ApiToken:
    """Revoke a token by name; revoking twice is harmless.

    :raise errors.NotFound: when no token has that name.
    """
    with tx.write() as session:
        token = session.execute(select(ApiToken).where(ApiToken.name == name)).scalar_one_or_none()
        if token is None:
            raise errors.NotFound(f"no token named {name!r}")
        if token.revoked_at is None:
            token.revoked_at = utcnow()
            audit.record(session, actor, "token.revoke", Target("Token", name, name),
                         {"status": ["active", "revoked"]})
    forget_cached()
    return token


def get(token_id: int) -> ApiToken:
    """:raise errors.NotFound: when no token has this id."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise errors.NotFound(f"no token with id {token_id}")
    return token


def all_tokens() -> list[ApiToken]:
    return list(db.session.execute(select(ApiToken).order_by(ApiToken.created_at.desc())).scalars())


# The lookup of a presented token, built once (it runs on every SCIM request).
# Every directory's tokens: the caller then holds the token to its own directory.
_BY_HASH = select(ApiToken.id, ApiToken.name, ApiToken.prefix, ApiToken.token_hash,
                  ApiToken.expires_at, ApiToken.revoked_at, ApiToken.directory_id).where(
    ApiToken.token_hash == bindparam("digest")).execution_options(**ALL_DIRECTORIES)

# Valid tokens are remembered per process for `cache_seconds` (SCIM_TOKEN_CACHE_SECONDS):
# the lookup was 8-20% of a request's CPU. Expiry is still checked on every use and
# revoking clears this process's cache: a revoked token keeps working for at most that
# long, and only in the other worker processes. Failures are never cached.
_CACHE_SIZE = 1000
_valid: dict[str, tuple[float, TokenInfo, datetime]] = {}


def authenticate(authorization: str | None, cache_seconds: float = 0) -> TokenInfo:
    """Check an `Authorization: Bearer …` header value.

    :raise Unauthorized: when the token is missing, unknown, expired or revoked.
    """
    scheme, _, secret = (authorization or "").partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        raise Unauthorized("a bearer token is required")
    digest = _hash(secret)
    cached = _valid.get(digest)
    if cached is not None and time.monotonic() < cached[0]:
        info, expires_at = cached[1], cached[2]
    else:
        info, expires_at = _look_up(digest)
        if cache_seconds > 0:
            if len(_valid) >= _CACHE_SIZE:
                _valid.clear()
            _valid[digest] = (time.monotonic() + cache_seconds, info, expires_at)
    if expires_at <= utcnow():
        raise Refused("the bearer token has expired; generate a new one", "expired", info)
    return info


def _look_up(digest: str) -> tuple[TokenInfo, datetime]:
    row = db.session.execute(_BY_HASH, {"digest": digest}).first()
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        raise Refused("the bearer token is not valid", "unknown")
    if row.revoked_at is not None:
        raise Refused("the bearer token has been revoked", "revoked",
                      TokenInfo(row.id, row.name, row.prefix, row.directory_id))
    return TokenInfo(row.id, row.name, row.prefix, row.directory_id), row.expires_at


@caches.register
def forget_cached() -> None:
    """Drop this process's remembered tokens (after a revocation, and between tests)."""
    _valid.clear()


_touched: dict[int, float] = {}
_touch_lock = threading.Lock()


def due_for_touch(token_id: int) -> bool:
    """Whether this process should write the token's last-used time now."""
    now = time.monotonic()
    with _touch_lock:
        if now - _touched.get(token_id, -TOUCH_INTERVAL) < TOUCH_INTERVAL:
            return False
        _touched[token_id] = now
        return True


def touch(session, token_ids_at: dict[int, datetime]) -> None:
    """Write last-used times (called by the background log writer, in its transaction)."""
    for token_id, at in token_ids_at.items():
        stmt = update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=at)
        session.execute(stmt.execution_options(**ALL_DIRECTORIES))  # the writer has no directory


@caches.register
def reset_touch_cache() -> None:
    with _touch_lock:
        _touched.clear()


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
