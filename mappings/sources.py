"""Source values as the workbench form writes them: one `attribute = value` per line.

A name given twice is multi-valued; true and false (any case) are booleans, as Entra's
IsSoftDeleted and accountEnabled are, so `Switch([IsSoftDeleted], …)` sees "True"/"False".
"""

MAX_LINES = 200


class SourceError(ValueError):
    pass


def parse_source(text: str) -> dict:
    """:raise SourceError: naming the first line that is not `attribute = value`."""
    values: dict = {}
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) > MAX_LINES:
        raise SourceError(f"give at most {MAX_LINES} source values")
    for number, line in enumerate(lines, start=1):
        name, equals, value = line.partition("=")
        name = name.strip().strip("[]").strip()
        if not equals or not name:
            raise SourceError(f"line {number}: write attribute = value, e.g. mail = a@contoso.com")
        value = _typed(value.strip())
        if name in values:
            previous = values[name]
            values[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            values[name] = value
    return values


def _typed(value: str):
    return {"true": True, "false": False}.get(value.lower(), value)


def format_source(values: dict) -> str:
    lines = []
    for name, value in values.items():
        for item in value if isinstance(value, list) else [value]:
            shown = ("True" if item else "False") if isinstance(item, bool) else item
            lines.append(f"{name} = {shown}")
    return "\n".join(lines)
