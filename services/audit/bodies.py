"""The bodies of SCIM writes, kept on their request-log rows: redacted, capped, pruned early.

An auditor wants to see what Entra actually sent and what Rollcall answered. Bodies are
personal data and may carry secrets, so:
- every value under a key naming a secret (password, secret, token...) and every PATCH
  operation whose path names one becomes "[redacted]", and any `rcscim_` bearer token in
  any string is masked;
- a body longer than MAX_BYTES is cut, and says so;
- bodies are outside the request-log row's content hash (services/audit/chain.py), so
  `prune` can blank them after `body_retention_days` while the row stays verifiable.
"""

import json
import re
from datetime import timedelta

from sqlalchemy import or_
from sqlalchemy import update

from models import RequestLog
from models import utcnow
from models.engine import writing
from services import folding
from services import tokens

MAX_BYTES = 64 * 1024
REDACTED = "[redacted]"
WRITES = ("POST", "PUT", "PATCH", "DELETE")
SECRET_KEY = re.compile(r"password|secret|token|credential", re.I)
PASSWORD_VALUE = re.compile(
    r'("[^"]*(?:password|secret|token)[^"]*"\s*:\s*)"(?:[^"\\]|\\.)*"', re.I)
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def capture(method: str, raw: str | bytes | None) -> str | None:
    """The body of a write as it may be kept, or None (reads, empty bodies).

    Kept as sent unless redacting changed it: parsing and indenting every body cost the
    log writer a quarter of a millisecond per write (docs/performance.md); `readable`
    indents it when someone reads it.
    """
    if method not in WRITES or not raw:
        return None
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    if _may_hold_secrets(text):
        text = _redacted(text)
    # Tokens are masked in the text as kept, keys included; NUL and lone surrogates (a JSON
    # "\\ud800") fit neither UTF-8 nor PostgreSQL text.
    return cap(_storable(tokens.mask(text)))


def _redacted(text: str) -> str:
    try:
        return json.dumps(redact(json.loads(text)), ensure_ascii=False)
    except (ValueError, RecursionError):
        # Not JSON, or nested too deep to parse: kept as text with tokens masked, and
        # password values masked by pattern.
        return PASSWORD_VALUE.sub(r"\1" + f'"{REDACTED}"', text)


def readable(text: str | None) -> str | None:
    """A kept body as shown: JSON indented (one space a level), anything else as kept."""
    if not text:
        return text
    try:
        return json.dumps(json.loads(text), ensure_ascii=False, indent=1)
    except (ValueError, RecursionError):
        return text


def _may_hold_secrets(text: str) -> bool:
    """Whether `redact` could change the body parsed from `text` (else its walk is skipped).

    It replaces values under keys, or PATCH operations with paths, that name a secret: the
    word is in the text, unless a JSON escape (a backslash-u sequence) spelled it.
    """
    return "\\u" in text or _names_a_secret(text)


_SECRET_WORDS = ("password", "secret", "token", "credential")  # SECRET_KEY's words


def _names_a_secret(text: str) -> bool:
    """SECRET_KEY.search(text) is not None, or more; 30 times faster on a body."""
    return folding.contains_any(text, _SECRET_WORDS)


def _storable(text: str) -> str:
    """`text` with NUL and lone surrogates replaced; the regex runs only if one is there."""
    if "\x00" not in text:
        try:
            text.encode("utf-8")  # fails exactly on lone surrogates
            return text
        except UnicodeEncodeError:
            pass
    return UNSTORABLE.sub("\ufffd", text)


def redact(value, key: str = ""):
    """`value` with secrets replaced, recursively (RFC 7643 §4.1.1: password is writeOnly)."""
    if key and SECRET_KEY.search(key):
        return REDACTED
    if isinstance(value, dict):
        if _secret_operation(value):
            return {**{k: redact(v, k) for k, v in value.items()}, "value": REDACTED}
        return {k: redact(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def _secret_operation(value: dict) -> bool:
    """A PATCH operation (RFC 7644 §3.5.2) whose path names a secret: its value is one."""
    path = value.get("path")
    return "value" in value and isinstance(path, str) and bool(SECRET_KEY.search(path))


def cap(text: str) -> str:
    data = text.encode("utf-8")
    if len(data) <= MAX_BYTES:
        return text
    kept = data[:MAX_BYTES].decode("utf-8", errors="ignore")
    return f"{kept}\n… cut: {len(data):,} bytes, the first {MAX_BYTES:,} kept"


def prune(engine, days: int) -> int:
    """Blank the bodies of requests older than `days` days; returns how many rows."""
    cutoff = utcnow() - timedelta(days=days)
    stmt = (update(RequestLog)
            .where(RequestLog.at < cutoff,
                   or_(RequestLog.request_body.is_not(None), RequestLog.response_body.is_not(None)))
            .values(request_body=None, response_body=None))
    with writing(engine.dialect.name), engine.begin() as conn:
        return conn.execute(stmt).rowcount
