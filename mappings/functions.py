"""The functions of Entra's expression language, one Python function each.

Semantics follow the function sections of Microsoft Learn's "Reference for writing
expressions for attribute mappings in Microsoft Entra ID"; where it is silent, the comment
says what this evaluator assumes. Each takes the evaluation and the call's arguments.
"""

import base64
import uuid
from datetime import datetime

from mappings import dates
from mappings import diacritics
from mappings import text as strings
from mappings.syntax import EvaluationError
from mappings.values import empty
from mappings.values import integer
from mappings.values import items
from mappings.values import number
from mappings.values import text
from mappings.values import truth


def append(run, a):
    # Concatenation, as in VB: a missing source adds nothing.
    source, suffix = text(a.value(0), "source"), text(a.value(1), "suffix")
    if source is None and suffix is None:
        return None
    return (source or "") + (suffix or "")


def bit_and(run, a):
    return integer(a.value(0), "value1") & integer(a.value(1), "value2")


def cbool(run, a):
    return truth(a.value(0), "the expression")


def cdate(run, a):
    return _date(a.value(0), "expression")


def _date(value, where: str) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return dates.parse_date(text(value, where))


def coalesce(run, a):
    return next((a.value(i) for i in range(len(a)) if a.value(i) is not None), None)


def to_base64(run, a):
    source = text(a.value(0), "source")
    return None if source is None else base64.b64encode(source.encode("utf-16-le")).decode()


def to_utf8_hex(run, a):
    source = text(a.value(0), "source")
    return None if source is None else source.encode("utf-8").hex().upper()


def count(run, a):
    return len(items(a.value(0)))


def cstr(run, a):
    return text(a.value(0), "value")


def date_add(run, a):
    moment = _date(a.value(2), "dateTime")
    if moment is None:
        return None
    return dates.add(text(a.value(0), "interval"), integer(a.value(1), "value"), moment)


def date_diff(run, a):
    first, second = _date(a.value(1), "date1"), _date(a.value(2), "date2")
    if first is None or second is None:
        return None
    return dates.diff(text(a.value(0), "interval"), first, second)


def date_from_num(run, a):
    value = a.value(0)
    return None if value is None else dates.from_filetime(integer(value, "value"))


def format_date_time(run, a):
    source = text(a.value(0), "source")
    if source is None:
        return None
    # dateTimeStyles (argument 2) is read as its default; see mappings/dates.py.
    fmt_in, fmt_out = (a.value(2), a.value(3)) if len(a) == 4 else (a.value(1), a.value(2))
    moment = dates.parse_custom(source, text(fmt_in, "inputFormat") or "")
    return dates.format_custom(moment, text(fmt_out, "outputFormat") or "")


def guid(run, a):
    return str(uuid.UUID(int=run.context.rng.getrandbits(128), version=4))


def ignore_flow(run, a):
    value = a.value(0)
    if empty(value):
        run.dropped = True
        return None
    return value


def iif(run, a):
    condition = a.value(0)
    if condition is None:
        return None
    return a.value(1) if truth(condition, "condition") else a.value(2)


def in_str(run, a):
    haystack, needle = text(a.value(0), "value1"), text(a.value(1), "value2")
    if haystack is None or needle is None:
        return None
    start = integer(a.value(2), "start") if a.given(2) else 1
    if start < 1:
        raise EvaluationError("start must be 1 or more")
    if a.given(3) and text(a.value(3), "compareType") == "vbTextCompare":
        haystack, needle = strings.lower(haystack), strings.lower(needle)
    return haystack.find(needle, start - 1) + 1


def is_null(run, a):
    return a.value(0) is None


def is_null_or_empty(run, a):
    return empty(a.value(0))


def is_present(run, a):
    return not empty(a.value(0))


def is_string(run, a):
    return isinstance(a.value(0), str)


def item(run, a):
    values, index = items(a.value(0)), integer(a.value(1), "index")
    # "Index 0 shouldn't be used": the index counts from 1.
    return values[index - 1] if 1 <= index <= len(values) else None


def join(run, a):
    separator = text(a.value(0), "separator") or ""
    parts = []
    for i in range(1, len(a)):
        for value in items(a.value(i)):
            part = text(value)
            if part:  # the reference's "Doe, John" example skips an empty source
                parts.append(part)
    return separator.join(parts)


def left(run, a):
    source, count_ = text(a.value(0), "String"), integer(a.value(1), "NumChars")
    if source is None:
        return ""
    return source if count_ < 0 else source[:count_]


def mid(run, a):
    source = text(a.value(0), "source")
    start, length = integer(a.value(1), "start"), integer(a.value(2), "length")
    if source is None:
        return None
    if start < 1 or length < 0:
        raise EvaluationError("start counts from 1 and length can't be negative")
    return source[start - 1:start - 1 + length]


def normalize_diacritics(run, a):
    source = text(a.value(0), "source")
    return None if source is None else diacritics.normalize(source)


def not_(run, a):
    # "If source value is True, returns False. Otherwise, returns True."
    return (text(a.value(0), "source") or "").strip().lower() != "true"


def now(run, a):
    return run.context.clock()


def num_from_date(run, a):
    moment = _date(a.value(0), "value")
    return None if moment is None else dates.to_filetime(moment)


def pcase(run, a):
    source = text(a.value(0), "source")
    separators = text(a.value(1), "wordSeparators") if a.given(1) else None
    return None if source is None else strings.proper(source, separators)


def redact(run, a):
    return a.value(0)  # only Entra's provisioning logs show "[Redact]"


def remove_duplicates(run, a):
    seen, out = set(), []
    for value in items(a.value(0)):
        key = text(value)
        if key not in seen:
            seen.add(key)
            out.append(value)
    return out


def single_app_role(run, a):
    roles = items(a.value(0))
    if len(roles) > 1:
        run.warnings.append("SingleAppRoleAssignment isn't supported for more than one "
                            "role assignment; Entra would pick one of them")
    return roles[0] if roles else None


def app_roles_complex(run, a):
    return items(a.value(0))


def split(run, a):
    source, delimiter = text(a.value(0), "source"), text(a.value(1), "delimiter")
    if source is None:
        return None
    if not delimiter:
        raise EvaluationError("the delimiter can't be empty")
    # The reference's example gives "PermissionSetTwo" for " PermissionSetTwo".
    return [part.strip() for part in source.split(delimiter)]


def strip_spaces(run, a):
    source = text(a.value(0), "source")
    return None if source is None else source.replace(" ", "")


def switch(run, a):
    # A source with no value matches the key "" (the reference's Switch caution).
    source = text(a.value(0), "source") or ""
    for i in range(2, len(a), 2):
        if (text(a.value(i), "key") or "") == source:
            return a.value(i + 1)
    return a.value(1)


def to_lower(run, a):
    source = text(a.value(0), "source")
    return None if source is None else strings.lower(source, text(a.value(1), "culture"))


def to_upper(run, a):
    source = text(a.value(0), "source")
    return None if source is None else strings.upper(source, text(a.value(1), "culture"))


def word(run, a):
    source = text(a.value(0), "String")
    number_ = integer(a.value(1), "WordNumber")
    return "" if source is None else strings.word(source, number_, text(a.value(2)) or "")


def compare(op: str, left, right) -> bool:
    """IIF and CBool comparisons: numbers as numbers, dates as dates, else ordinal text."""
    pair = _numbers(left, right) or _dates(left, right) or (text(left, "the left side"),
                                                           text(right, "the right side"))
    a, b = pair
    return {"=": a == b, "<>": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _numbers(left, right):
    if not any(isinstance(v, int | float) and not isinstance(v, bool) for v in (left, right)):
        return None
    try:
        return number(left, "the left side"), number(right, "the right side")
    except EvaluationError:
        return None


def _dates(left, right):
    if not any(isinstance(v, datetime) for v in (left, right)):
        return None
    return _date(left, "the left side"), _date(right, "the right side")


from mappings.functions_more import random_string  # noqa: E402
from mappings.functions_more import replace  # noqa: E402
from mappings.functions_more import select_unique_value  # noqa: E402

FUNCTIONS = {
    "Append": append, "AppRoleAssignmentsComplex": app_roles_complex, "BitAnd": bit_and,
    "CBool": cbool, "CDate": cdate, "Coalesce": coalesce, "ConvertToBase64": to_base64,
    "ConvertToUTF8Hex": to_utf8_hex, "Count": count, "CStr": cstr, "DateAdd": date_add,
    "DateDiff": date_diff, "DateFromNum": date_from_num, "FormatDateTime": format_date_time,
    "Guid": guid, "IgnoreFlowIfNullOrEmpty": ignore_flow, "IIF": iif, "InStr": in_str,
    "IsNull": is_null, "IsNullOrEmpty": is_null_or_empty, "IsPresent": is_present,
    "IsString": is_string, "Item": item, "Join": join, "Left": left, "Mid": mid,
    "NormalizeDiacritics": normalize_diacritics, "Not": not_, "Now": now,
    "NumFromDate": num_from_date, "PCase": pcase, "RandomString": random_string,
    "Redact": redact, "RemoveDuplicates": remove_duplicates, "Replace": replace,
    "SelectUniqueValue": select_unique_value, "SingleAppRoleAssignment": single_app_role,
    "Split": split, "StripSpaces": strip_spaces, "Switch": switch, "ToLower": to_lower,
    "ToUpper": to_upper, "Word": word,
}
