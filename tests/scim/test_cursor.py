"""scim.cursor: signed, expiring, query-bound cursors (RFC 9865), without app or database."""

import re
from datetime import datetime
from decimal import Decimal

import pytest

from scim.cursor import ExpiredCursor
from scim.cursor import InvalidCursor
from scim.cursor import Position
from scim.cursor import Signer

SIGNER = Signer(b"k" * 32, timeout=600)
NOW = 1_800_000_000.0
KEYS = [
    (datetime(2026, 12, 6, 5, 48, 1, 123456), "0b1c"),
    ("ørjan straße", "id-1"),
    (None, "id-2"),
    (True, "id-3"),
    (3.5, "id-4"),
    (Decimal("12345678901234567890.0123"), "id-5"),
]


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("backward", [False, True])
def test_a_cursor_names_its_position(key, backward):
    text = SIGNER.encode("q", Position(key, backward), NOW)
    assert re.fullmatch(r"[A-Za-z0-9\-._~]+", text)  # RFC 3986 unreserved only
    assert SIGNER.decode("q", text, NOW + 599) == Position(key, backward)


def test_the_empty_cursor_is_the_first_page():
    assert SIGNER.decode("q", "", NOW) is None


def test_another_query_or_secret_makes_it_invalid():
    text = SIGNER.encode("q", Position(KEYS[1]), NOW)
    with pytest.raises(InvalidCursor):
        SIGNER.decode("other", text, NOW)
    with pytest.raises(InvalidCursor):
        Signer(b"x" * 32).decode("q", text, NOW)


@pytest.mark.parametrize("index", range(0, 40, 3))
def test_any_changed_character_makes_it_invalid(index):
    text = SIGNER.encode("q", Position(KEYS[0]), NOW)
    index = min(index, len(text) - 1)
    changed = text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1:]
    with pytest.raises(InvalidCursor):
        SIGNER.decode("q", changed, NOW)


@pytest.mark.parametrize("text", [".", "abc", "a.b", "é.é", "...", "Zm9v.Zm9v"])
def test_text_we_never_issued_is_invalid(text):
    with pytest.raises(InvalidCursor) as raised:
        SIGNER.decode("q", text, NOW)
    assert raised.value.to_dict()["scimType"] == "invalidCursor"
    assert raised.value.status == 400


def test_an_old_cursor_is_expired():
    text = SIGNER.encode("q", Position(KEYS[1]), NOW)
    with pytest.raises(ExpiredCursor) as raised:
        SIGNER.decode("q", text, NOW + 601)
    assert raised.value.to_dict()["scimType"] == "expiredCursor"
