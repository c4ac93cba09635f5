"""The longer functions: Replace, RandomString and SelectUniqueValue."""

import string

import regex

from mappings import text as strings
from mappings.syntax import EvaluationError
from mappings.values import empty
from mappings.values import integer
from mappings.values import text

# Windows' password complexity reference lists these as special characters.
SPECIAL = "~!@#$%^&*_-+=`|\\(){}[]:;\"'<>,.?/"
MAX_RANDOM = 256


def replace(run, a):
    """Replace, in the five forms the reference describes.

    Arguments: source, oldValue, regexPattern, regexGroupName, replacementValue,
    replacementAttributeName, template.
    """
    source = text(a.value(0), "source")
    old, pattern, group = (text(a.value(i)) if a.given(i) else None for i in (1, 2, 3))
    replacement = text(a.value(4), "replacementValue") if a.given(4) else None
    template = text(a.value(6), "template") if a.given(6) else None
    if pattern is not None and group is not None and a.given(5):
        if not empty(source):
            return source
        return _extract(run, pattern, group, text(a.value(5), "replacementAttributeName"))
    if source is None:
        return None
    if old is not None and template is not None:
        return template.replace(old, source) if old else template
    if old is not None and replacement is not None:
        return source.replace(old, replacement) if old else source
    if pattern is not None and replacement is not None:
        return _regex_replace(run, source, pattern, group, replacement)
    raise EvaluationError("give oldValue with replacementValue or template, or regexPattern "
                          "with replacementValue or replacementAttributeName")


def _regex_replace(run, source: str, pattern: str, group: str | None, replacement: str) -> str:
    compiled = strings.compile_regex(pattern)
    if group is None:
        expand = strings.dotnet_replacement(replacement)
    else:
        def expand(match):
            whole, (start, end) = match.group(0), _span(match, group)
            offset = match.start()
            if start < 0:
                return whole
            return whole[:start - offset] + replacement + whole[end - offset:]
    return _timed(run, lambda: compiled.sub(expand, source, timeout=run.limits.regex_timeout))


def _span(match, group: str):
    try:
        return match.span(group)
    except (IndexError, regex.error):
        raise EvaluationError(f"the regular expression has no group {group!r}") from None


def _extract(run, pattern: str, group: str, value: str | None):
    if value is None:
        return None
    compiled = strings.compile_regex(pattern)
    match = _timed(run, lambda: compiled.search(value, timeout=run.limits.regex_timeout))
    if match is None:
        return None
    start, end = _span(match, group)
    return None if start < 0 else value[start:end]


def _timed(run, work):
    try:
        return work()
    except TimeoutError:
        raise EvaluationError(f"the regular expression ran longer than "
                              f"{run.limits.regex_timeout} s") from None


def random_string(run, a):
    length = integer(a.value(0), "Length")
    minimums = [integer(a.value(i), name) for i, name in enumerate(
        ("MinimumNumbers", "MinimumSpecialCharacters", "MinimumCapital", "MinimumLowerCase"),
        start=1)]
    avoid = text(a.value(5), "CharactersToAvoid") or ""
    if not 0 < length <= MAX_RANDOM:
        raise EvaluationError(f"Length must be 1 to {MAX_RANDOM}")
    if min(minimums) < 0 or sum(minimums) > length:
        raise EvaluationError("the minimums can't be negative or add up to more than Length")
    pools = [_pool(chars, avoid) for chars in
             (string.digits, SPECIAL, string.ascii_uppercase, string.ascii_lowercase)]
    rng = run.context.rng
    chars = [rng.choice(pool) for pool, least in zip(pools, minimums, strict=True)
             for _ in range(least)]
    everything = "".join(pools)
    chars += [rng.choice(everything) for _ in range(length - len(chars))]
    rng.shuffle(chars)
    return "".join(chars)


def _pool(chars: str, avoid: str) -> str:
    pool = "".join(c for c in chars if c not in avoid)
    if not pool:
        raise EvaluationError("CharactersToAvoid leaves no characters of a required kind")
    return pool


def select_unique_value(run, a):
    """The first candidate the target does not have yet (Context.is_taken decides)."""
    is_taken = run.context.is_taken or (lambda value: False)
    for i in range(len(a)):
        candidate = text(a.value(i), f"uniqueValueRule{i + 1}")
        if empty(candidate):
            continue
        if not is_taken(candidate):
            return candidate
    raise EvaluationError("every candidate value is taken: Entra escrows the entry and "
                          "logs the reason")
