"""String helpers with .NET's behaviour: casing, proper case, words and Replace.

.NET maps case one character to one character (ToLowerInvariant("İ") is "i", and
ToUpperInvariant("ß") stays "ß"), where Python's str.lower applies the full Unicode
mappings; the Turkish and Azeri cultures map dotted and dotless i their own way.
"""

import unicodedata

import regex

from mappings.syntax import EvaluationError

_TURKIC = ("tr", "az")


def lower(value: str, culture: str | None = None) -> str:
    if _turkic(culture):
        value = value.replace("I", "ı").replace("İ", "i")
    return "".join(_one(char, char.lower(), {"İ": "i"}) for char in value)


def upper(value: str, culture: str | None = None) -> str:
    if _turkic(culture):
        value = value.replace("i", "İ").replace("ı", "I")
    return "".join(_one(char, char.upper(), {}) for char in value)


def _one(char: str, mapped: str, simple: dict) -> str:
    if len(mapped) == 1:
        return mapped
    return simple.get(char, char)


def _turkic(culture: str | None) -> bool:
    return bool(culture) and culture.split("-")[0].lower() in _TURKIC


def proper(value: str, separators: str | None = None) -> str:
    """PCase: each word's first letter upper case, the rest lower case.

    Without separators, words break where .NET's ToTitleCase breaks them: at white space,
    control characters, punctuation and symbols, except an apostrophe within a word.
    """
    out, start = [], True
    for index, char in enumerate(value):
        if _separates(value, index, separators):
            out.append(char)
            start = True
            continue
        out.append(upper(char) if start else lower(char))
        start = False
    return "".join(out)


def _separates(value: str, index: int, separators: str | None) -> bool:
    char = value[index]
    if separators is not None:
        return char in separators
    if char == "'" and 0 < index < len(value) - 1 and value[index - 1].isalpha():
        return False
    return unicodedata.category(char)[0] in "ZCPS"


def word(value: str, number: int, delimiters: str) -> str:
    """The number-th word (1-based) between any of the delimiter characters, or ""."""
    if number < 1:
        return ""
    words, current = [], []
    for char in value + (delimiters[:1] or " "):
        if char in delimiters or (not delimiters and char == " "):
            if current:
                words.append("".join(current))
            current = []
        else:
            current.append(char)
    return words[number - 1] if number <= len(words) else ""


def compile_regex(pattern: str):
    """A .NET-style pattern (named groups as (?<name>…)) compiled with the `regex` module.

    :raise EvaluationError: for a pattern that doesn't compile.
    """
    try:
        return regex.compile(pattern, regex.VERSION1 if "(?V1)" in pattern else 0)
    except regex.error as error:
        raise EvaluationError(f"the regular expression {pattern!r} is invalid: {error}") \
            from None


def dotnet_replacement(template: str):
    """A function for regex.sub that expands .NET substitutions: $1, ${name}, $$, $&."""

    def expand(match) -> str:
        out, i = [], 0
        while i < len(template):
            char = template[i]
            if char != "$" or i + 1 == len(template):
                out.append(char)
                i += 1
                continue
            i = _substitute(template, i + 1, match, out)
        return "".join(out)

    return expand


def _substitute(template: str, i: int, match, out: list) -> int:
    nxt = template[i]
    if nxt == "$":
        out.append("$")
        return i + 1
    if nxt == "&":
        out.append(match.group(0))
        return i + 1
    if nxt == "{" and "}" in template[i:]:
        end = template.index("}", i)
        out.append(_group(match, template[i + 1:end]) or "")
        return end + 1
    if nxt.isdigit():
        end = i
        while end < len(template) and template[end].isdigit():
            end += 1
        out.append(_group(match, template[i:end]) or "")
        return end
    out.append("$")
    return i


def _group(match, name: str):
    try:
        return match.group(int(name) if name.isdigit() else name)
    except (IndexError, regex.error):
        raise EvaluationError(f"the regular expression has no group {name!r}") from None
