"""scim.casefold: the one matching key, NFKC + full case folding."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scim.casefold import key
from scim.casefold import key_or_none


@pytest.mark.parametrize("a, b", [
    ("Øyvind.Berg@ex.no", "øyvind.berg@ex.no"),
    ("Ørjan@x.no", "ØRJAN@X.NO"),
    ("STRASSE", "straße"),
    ("ｊｏｈｎ", "john"),
    ("ﬁnn", "FINN"),             # ligature, a compatibility form
    ("Å", "Å"),                  # A + combining ring, and the precomposed letter
    ("İlker", "İLKER"),
])
def test_equivalent_spellings_share_a_key(a, b):
    assert key(a) == key(b)


@pytest.mark.parametrize("a, b", [
    ("Øyvind", "Oyvind"),        # folding keeps letters apart; it does not strip accents
    ("İlker", "ilker"),          # İ folds to i + combining dot, not to plain i
    ("john", "john "),
])
def test_different_names_keep_different_keys(a, b):
    assert key(a) != key(b)


@given(st.text())
def test_the_key_is_idempotent(text):
    assert key(key(text)) == key(text)


def test_only_strings_have_a_key():
    assert key_or_none(None) is None
    assert key_or_none(12) is None
    assert key_or_none("ÅSE") == "åse"
