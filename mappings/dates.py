"""Dates as Entra's expressions handle them (.NET DateTime and Visual Basic DateAdd/DateDiff).

CDate reads ISO 8601 forms ("2020-03-16-07:00", "2009-06-15T01:45:30-07:00") and the
`M/d/yyyy h:mm:ss tt` form Now returns, and converts to UTC, as the reference's examples do.
FormatDateTime reads and writes .NET custom date and time format strings (Microsoft Learn,
"Custom date and time format strings") with the invariant culture; dateTimeStyles is read
as its default (RoundtripKind with surrounding white space allowed).
"""

import calendar
import re
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from datetime import timezone

from mappings.syntax import EvaluationError

_ISO = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?", re.I)
_US = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AP]M)?)?",
                 re.I)
# Windows FILETIME (Active Directory's accountExpires, lastLogonTimestamp): 100 ns since 1601.
_EPOCH_1601 = datetime(1601, 1, 1, tzinfo=UTC)
_MONTHS = [calendar.month_name[i] for i in range(1, 13)]
_DAYS = list(calendar.day_name)


def parse_date(value: str) -> datetime:
    """CDate: a date string as a UTC datetime.

    :raise EvaluationError: when the text is not a date in a form listed above.
    """
    text = value.strip()
    match = _ISO.fullmatch(text)
    if match:
        year, month, day, hour, minute, second, fraction, zone = match.groups()
        moment = _build(year, month, day, hour, minute, second, fraction)
        return _to_utc(moment, zone)
    match = _US.fullmatch(text)
    if match:
        month, day, year, hour, minute, second, half = match.groups()
        hour = _hour12(int(hour or 0), half)
        return _build(year, month, day, hour, minute, second, None).replace(tzinfo=UTC)
    raise EvaluationError(f"{value!r} is not a date CDate can read")


def _build(year, month, day, hour, minute, second, fraction) -> datetime:
    micro = int(round(float(fraction) * 1_000_000)) if fraction else 0
    try:
        return datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                        int(second or 0), micro)
    except ValueError as error:
        raise EvaluationError(f"not a valid date: {error}") from None


def _hour12(hour: int, half: str | None) -> int:
    if not half:
        return hour
    return hour % 12 + (12 if half.upper() == "PM" else 0)


def _to_utc(moment: datetime, zone: str | None) -> datetime:
    if not zone or zone.upper() == "Z":
        return moment.replace(tzinfo=UTC)
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return moment.replace(tzinfo=timezone(sign * offset)).astimezone(UTC)


def add(interval: str, amount: int, moment: datetime) -> datetime:
    """DateAdd (Visual Basic semantics): months clamp to the last day of the month."""
    if interval == "yyyy":
        return _add_months(moment, 12 * amount)
    if interval == "q":
        return _add_months(moment, 3 * amount)
    if interval == "m":
        return _add_months(moment, amount)
    step = _STEPS.get(interval)
    if step is None:
        raise EvaluationError(f"{interval!r} is not an interval; use {_INTERVALS}")
    try:
        return moment + step * amount
    except OverflowError:
        raise EvaluationError("the date falls outside the years 1 to 9999") from None


_STEPS = {"y": timedelta(days=1), "d": timedelta(days=1), "w": timedelta(days=1),
          "ww": timedelta(weeks=1), "h": timedelta(hours=1), "n": timedelta(minutes=1),
          "s": timedelta(seconds=1)}
_INTERVALS = "yyyy, q, m, y, d, w, ww, h, n or s"


def _add_months(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise EvaluationError("the date falls outside the years 1 to 9999")
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def diff(interval: str, first: datetime, second: datetime) -> int:
    """DateDiff (Visual Basic semantics): positive when `second` is later.

    Years and months count calendar boundaries; ww counts Sundays crossed; d, h, n, s
    truncate the elapsed time toward zero.
    """
    if interval == "yyyy":
        return second.year - first.year
    if interval == "q":
        return (second.year - first.year) * 4 + (second.month - 1) // 3 - (first.month - 1) // 3
    if interval == "m":
        return (second.year - first.year) * 12 + second.month - first.month
    if interval == "ww":
        return (_sunday(second) - _sunday(first)).days // 7
    seconds = (second - first).total_seconds()
    unit = {"d": 86400, "y": 86400, "w": 7 * 86400, "h": 3600, "n": 60, "s": 1}.get(interval)
    if unit is None:
        raise EvaluationError(f"{interval!r} is not an interval; use {_INTERVALS}")
    return int(seconds / unit)


def _sunday(moment: datetime):
    day = moment.date()
    return day - timedelta(days=(day.weekday() + 1) % 7)


def from_filetime(ticks: int) -> datetime:
    """DateFromNum: an Active Directory date (100 ns ticks since 1601) as a UTC datetime."""
    try:
        return _EPOCH_1601 + timedelta(microseconds=ticks // 10)
    except OverflowError:
        raise EvaluationError(f"{ticks} is outside the dates DateFromNum can give") from None


def to_filetime(moment: datetime) -> int:
    """NumFromDate: the Active Directory form of a date."""
    delta = moment.astimezone(UTC) - _EPOCH_1601
    return (delta.days * 86400 + delta.seconds) * 10_000_000 + delta.microseconds * 10


# .NET custom date and time format specifiers, longest first.
_TOKEN = re.compile(
    r"'[^']*'|\"[^\"]*\"|\\.|%.|"
    r"d{1,4}|M{1,4}|y{1,5}|h{1,2}|H{1,2}|m{1,2}|s{1,2}|f{1,7}|F{1,7}|t{1,2}|z{1,3}|K|.",
    re.S)


def _tokens(fmt: str) -> list[str]:
    out = []
    for token in _TOKEN.findall(fmt):
        if token.startswith("%") and len(token) == 2:
            token = token[1]
        out.append(token)
    return out


def format_custom(moment: datetime, fmt: str) -> str:
    """Write a UTC datetime with a .NET custom format string."""
    return "".join(_write(token, moment) for token in _tokens(fmt))


def _write(token: str, m: datetime) -> str:  # noqa: C901 - one branch per specifier
    head = token[0]
    if token[0] in "'\"" and len(token) > 1:
        return token[1:-1]
    if head == "\\" and len(token) == 2:
        return token[1]
    n = len(token)
    if head == "d":
        return (str(m.day) if n == 1 else f"{m.day:02d}" if n == 2
                else _DAYS[m.weekday()][:3] if n == 3 else _DAYS[m.weekday()])
    if head == "M":
        return (str(m.month) if n == 1 else f"{m.month:02d}" if n == 2
                else _MONTHS[m.month - 1][:3] if n == 3 else _MONTHS[m.month - 1])
    if head == "y":
        return str(m.year % 100) if n == 1 else f"{m.year % 100:02d}" if n == 2 else \
            f"{m.year:0{n}d}"
    if head in "hHms":
        value = {"h": m.hour % 12 or 12, "H": m.hour, "m": m.minute, "s": m.second}[head]
        return str(value) if n == 1 else f"{value:02d}"
    if head in "fF":
        digits = f"{m.microsecond:06d}0"[:n]
        return digits.rstrip("0") if head == "F" else digits
    if head == "t":
        return ("AM" if m.hour < 12 else "PM")[:n]
    if head == "z":
        return {1: "+0", 2: "+00", 3: "+00:00"}[n]
    if head == "K":
        return "Z"
    return token


def parse_custom(value: str, fmt: str) -> datetime:
    """Read a date with a .NET custom format string, as DateTime.ParseExact does.

    :raise EvaluationError: when the value does not have that format.
    """
    fields: list[str] = []
    pattern = "".join(_read(token, fields) for token in _tokens(fmt))
    match = re.fullmatch(pattern, value.strip(), re.I)
    if not match:
        raise EvaluationError(f"{value!r} does not have the format {fmt!r}")
    return _assemble(dict(zip(fields, match.groups(), strict=True)))


def _read(token: str, fields: list) -> str:  # noqa: C901 - one branch per specifier
    head, n = token[0], len(token)
    if head in "'\"" and n > 1:
        return re.escape(token[1:-1])
    if head == "\\" and n == 2:
        return re.escape(token[1])
    patterns = {
        "d": [r"(\d{1,2})", r"(\d{2})", r"([a-z]{3})", r"([a-z]+)"],
        "M": [r"(\d{1,2})", r"(\d{2})", r"([a-z]{3})", r"([a-z]+)"],
        "y": [r"(\d{1,2})", r"(\d{2})", r"(\d{3,4})", r"(\d{4})", r"(\d{5})"],
        "h": [r"(\d{1,2})", r"(\d{2})"], "H": [r"(\d{1,2})", r"(\d{2})"],
        "m": [r"(\d{1,2})", r"(\d{2})"], "s": [r"(\d{1,2})", r"(\d{2})"],
        "t": [r"([ap])", r"([ap]m)"],
        "z": [r"([+-]\d{1,2})", r"([+-]\d{2})", r"([+-]\d{2}:\d{2})"],
    }
    if head in patterns:
        fields.append(head if head not in "dM" or n < 3 else head + "name")
        return patterns[head][n - 1]
    if head in "fF":
        fields.append("f")
        return rf"(\d{{{n}}})" if head == "f" else rf"(\d{{0,{n}}})"
    if head == "K":
        fields.append("z")
        return r"(Z|[+-]\d{2}:\d{2})?"
    return re.escape(token)


def _assemble(parts: dict) -> datetime:
    year = int(parts.get("y") or 1)
    if len(parts.get("y") or "") <= 2 and "y" in parts:
        year += 2000 if year < 30 else 1900  # .NET's two-digit year cut-off, 2029
    month = int(parts["M"]) if "M" in parts else _month(parts.get("Mname"))
    hour = int(parts.get("H") or parts.get("h") or 0)
    if "h" in parts:
        hour = _hour12(hour, (parts.get("t") or "AM")[0] + "M")
    fraction = parts.get("f") or ""
    moment = _build(year, month, parts.get("d") or 1, hour, parts.get("m"), parts.get("s"),
                    f"0.{fraction}" if fraction else None)
    zone = parts.get("z")
    if zone and zone.upper() != "Z" and ":" not in zone:
        zone = f"{zone[0]}{int(zone[1:]):02d}:00"
    return _to_utc(moment, zone)


def _month(name: str | None) -> int:
    if not name:
        return 1
    for index, full in enumerate(_MONTHS, start=1):
        if full.lower().startswith(name.lower()):
            return index
    raise EvaluationError(f"{name!r} is not a month name")
