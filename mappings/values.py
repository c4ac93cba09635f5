"""The values an expression computes, and how functions read them.

A value is None (no value: an absent attribute or an empty argument), a str, a bool
(IsSoftDeleted, IsPresent), an int or float, a datetime (CDate, Now; always UTC) or a
list of those (a multi-valued attribute, Split). Entra runs on .NET, so a value read as
text is written the .NET way: True/False, and dates as M/d/yyyy h:mm:ss tt.
"""

from datetime import datetime

from mappings.syntax import EvaluationError


def text(value, where: str = "") -> str | None:
    """The value as a string, None for no value.

    :raise EvaluationError: for a multi-valued value, which has no single text.
    """
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, datetime):
        return format_us(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, list):
        raise EvaluationError(f"{where or 'this argument'} takes one value, not a list of "
                              f"{len(value)}; pick one with Item or combine them with Join")
    return str(value)


def format_us(moment: datetime) -> str:
    """.NET's `M/d/yyyy h:mm:ss tt`, the form Now, CDate and DateAdd return."""
    hour = moment.hour % 12 or 12
    half = "AM" if moment.hour < 12 else "PM"
    return (f"{moment.month}/{moment.day}/{moment.year} "
            f"{hour}:{moment.minute:02d}:{moment.second:02d} {half}")


def number(value, where: str) -> int | float:
    """:raise EvaluationError: when the value is not a number."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            return float(value) if "." in value else int(value.strip())
        except ValueError:
            pass
    raise EvaluationError(f"{where} must be a number, not {describe(value)}")


def integer(value, where: str) -> int:
    return int(number(value, where))


def truth(value, where: str) -> bool:
    """True/False as .NET reads them: booleans, "True"/"False" in any case, or numbers."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if isinstance(value, str):
        try:
            return float(value) != 0
        except ValueError:
            pass
    raise EvaluationError(f"{where} must be True or False, not {describe(value)}")


def empty(value) -> bool:
    return value is None or value == "" or value == []


def items(value) -> list:
    """A value as a list of values: a multi-valued attribute's own, or one, or none."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def describe(value) -> str:
    if value is None:
        return "no value"
    if isinstance(value, list):
        return f"a list of {len(value)} values"
    shown = text(value)
    return repr(shown if len(shown) <= 40 else shown[:40] + "…")
