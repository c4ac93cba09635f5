"""Whether a text holds one of some ASCII words, in any case: a cheap prefilter for the
case-insensitive patterns that redact secrets (services/audit/bodies.py, logging_setup.py).

A `re.IGNORECASE` search for a word costs tens of microseconds on a request body; a
casefolded containment test about one. It never says no where such a pattern would match:
casefold() folds every letter that IGNORECASE matches to an ASCII letter (ſ to s, the
Kelvin sign to k), except İ and ı, which IGNORECASE also matches to i
(tests/hardening/test_redaction.py walks every code point of the Basic Multilingual
Plane; none outside it folds to ASCII).
"""


def contains_any(text: str, words: tuple[str, ...]) -> bool:
    """Whether `text` holds any of `words` (lowercase ASCII), as IGNORECASE would find it."""
    folded = text.casefold()
    if "ı" in folded or "\u0307" in folded:
        folded = folded.replace("i\u0307", "i").replace("ı", "i")
    return any(word in folded for word in words)
