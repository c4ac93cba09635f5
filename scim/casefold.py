"""The one normalisation used to match case-insensitive attributes (RFC 7643 §2.2 caseExact).

`key(text)` is Unicode NFKC of the full case folding of NFKC (Unicode Standard §3.13,
"compatibility caseless match"): "Ørjan" and "ørjan", "STRASSE" and "straße", fullwidth
"ｊｏｈｎ" and "john" share a key. It is computed in Python and stored in indexed key
columns, so both databases compare the same strings; SQL `lower()` folds ASCII only on
SQLite and follows the server's collation on PostgreSQL. The outer NFKC keeps the key
idempotent: casefolding may produce sequences that NFKC composes again.
"""

import unicodedata


def key(text: str) -> str:
    """The matching key of a case-insensitive string; applying it twice changes nothing."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def key_or_none(value):
    """The key of a string; None for anything else (absent or non-string values)."""
    return key(value) if isinstance(value, str) else None
