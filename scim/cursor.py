"""Opaque, signed page cursors for cursor-based pagination (RFC 9865).

A cursor names a position in one query's order, not a page number, so pages stay
stable while resources come and go: the next page is "the rows after this key".

Decisions RFC 9865 leaves to the service provider:
- A cursor carries the sort key of the row it continues from, whether it pages
  forward (nextCursor) or backward (previousCursor), a fingerprint of the query
  (resource type, filter, sortBy, sortOrder) and the time it was issued. Used with
  another query it is invalid (RFC 9865 §2.1: invalidCursor); `count` may change.
- It is signed with HMAC-SHA256 under the application's secret: a changed byte is
  invalidCursor, never a different page.
- It stays valid for `timeout` seconds after it was issued (cursorTimeout in
  /ServiceProviderConfig); older is expiredCursor (RFC 9865 §2.3).
- The text is base64url without padding and one ".", all RFC 3986 unreserved
  characters, as RFC 9865 §2 requires of cursor values.
"""

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from scim.errors import SCIMError

VERSION = 1
_MAC_BYTES = 16


class InvalidCursor(SCIMError):
    """The cursor is invalid: send it empty for page one, then nextCursor or previousCursor."""

    scim_type = "invalidCursor"


class ExpiredCursor(SCIMError):
    """The cursor has expired: do not wait longer than cursorTimeout between pages."""

    scim_type = "expiredCursor"


@dataclass(frozen=True)
class Position:
    """Where a page starts: after `key` (or before it, when `backward`) in the query's order."""

    key: tuple
    backward: bool = False


@dataclass(frozen=True)
class Signer:
    """The secret and lifetime cursors are made with; a value services receive, not config."""

    secret: bytes
    timeout: int = 600

    def encode(self, query: str, position: Position, now: float) -> str:
        payload = [VERSION, fingerprint(query), [_plain(v) for v in position.key],
                   int(position.backward), int(now)]
        text = json.dumps(payload, separators=(",", ":")).encode()
        return f"{_b64(text)}.{_b64(self._mac(text))}"

    def decode(self, query: str, cursor: str, now: float) -> Position | None:
        """The position a cursor names; None for the empty cursor (the first page).

        :raise InvalidCursor: for anything this signer did not issue for this query.
        :raise ExpiredCursor: for a cursor issued more than `timeout` seconds ago.
        """
        if cursor == "":
            return None
        text = self._verified(cursor)
        try:
            version, query_print, key, backward, issued = json.loads(text)
        except (ValueError, TypeError) as error:
            raise InvalidCursor("the cursor is not one this server issued") from error
        if version != VERSION or query_print != fingerprint(query) or not isinstance(key, list):
            raise InvalidCursor("the cursor belongs to another query: keep filter, sortBy and "
                                "sortOrder while paging, or start again with an empty cursor")
        if not isinstance(issued, int) or now - issued > self.timeout:
            raise ExpiredCursor(f"the cursor is older than cursorTimeout ({self.timeout} "
                                "seconds): start again with an empty cursor")
        return Position(tuple(_typed(v) for v in key), bool(backward))

    def _verified(self, cursor: str) -> bytes:
        body, _, mac = cursor.partition(".")
        try:
            text, given = _unb64(body), _unb64(mac)
        except ValueError as error:
            raise InvalidCursor("the cursor is not one this server issued") from error
        if not hmac.compare_digest(given, self._mac(text)):
            raise InvalidCursor("the cursor is not one this server issued")
        return text

    def _mac(self, text: bytes) -> bytes:
        return hmac.new(self.secret, text, hashlib.sha256).digest()[:_MAC_BYTES]


def fingerprint(query: str) -> str:
    """A short digest of the query a cursor belongs to (its text may be long)."""
    return hashlib.sha256(query.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _plain(value):
    """JSON for a key value: datetimes and decimals are tagged so they come back as such."""
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, Decimal):
        return {"dec": str(value)}
    return value


_TAGS = {"dt": datetime.fromisoformat, "dec": Decimal}


def _typed(value):
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in _TAGS:
        tag, text = next(iter(value.items()))
        try:
            return _TAGS[tag](str(text))
        except (ValueError, ArithmeticError) as error:
            raise InvalidCursor("the cursor is not one this server issued") from error
    if isinstance(value, (dict, list)):
        raise InvalidCursor("the cursor is not one this server issued")
    return value


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not text or not text.isascii():
        raise ValueError("empty or not ASCII")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as error:
        raise ValueError(str(error)) from error
