"""A whole mapping as rows, and its JSON file format (docs/mappings.md, "The JSON format").

    {"format": "rollcall-entra-mapping", "version": 1,
     "mappings": [{"source": "userPrincipalName", "target": "userName",
                   "matchingPrecedence": 1}, ...]}

`source` is an Entra source attribute (a direct mapping) or an expression; a plain list of
rows is read too. Reading checks the shape and every expression, and says which row is wrong.
"""

import json
import re
from dataclasses import dataclass

from mappings.limits import DEFAULT
from mappings.parser import parse
from mappings.syntax import ExpressionError
from mappings.targets import TargetError
from mappings.targets import parse_target

FORMAT = "rollcall-entra-mapping"
VERSION = 1
MAX_ROWS = 100
MAX_FILE = 512 * 1024
_ATTRIBUTE = re.compile(r"[A-Za-z_][\w.-]*")


@dataclass(frozen=True)
class Row:
    source: str
    target: str
    matching: int | None = None  # Entra's matching precedence; 1 is tried first

    @property
    def direct(self) -> bool:
        """A direct mapping names a source attribute rather than writing an expression."""
        return bool(_ATTRIBUTE.fullmatch(self.source.strip()))

    @property
    def expression(self) -> str:
        return f"[{self.source.strip()}]" if self.direct else self.source


class MappingFileError(ValueError):
    pass


def dumps(rows: list[Row]) -> str:
    items = []
    for row in rows:
        item = {"source": row.source, "target": row.target}
        if row.matching is not None:
            item["matchingPrecedence"] = row.matching
        items.append(item)
    return json.dumps({"format": FORMAT, "version": VERSION, "mappings": items},
                      indent=2, ensure_ascii=False) + "\n"


def loads(text: str | bytes) -> list[Row]:
    """:raise MappingFileError: naming the row and what is wrong with it."""
    if len(text) > MAX_FILE:
        raise MappingFileError(f"the file is larger than {MAX_FILE // 1024} KiB")
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as error:
        raise MappingFileError(f"not JSON: {error}") from None
    if isinstance(data, dict):
        if data.get("format", FORMAT) != FORMAT or data.get("version", VERSION) != VERSION:
            raise MappingFileError(f"expected format {FORMAT!r} version {VERSION}")
        data = data.get("mappings")
    if not isinstance(data, list):
        raise MappingFileError('expected {"mappings": [...]} or a list of mappings')
    return check([_row(i, item) for i, item in enumerate(data, start=1)])


def _row(number: int, item) -> Row:
    if not isinstance(item, dict):
        raise MappingFileError(f"mapping {number}: expected an object with source and target")
    source, target = item.get("source"), item.get("target")
    matching = item.get("matchingPrecedence")
    if not isinstance(source, str) or not isinstance(target, str):
        raise MappingFileError(f"mapping {number}: source and target must be strings")
    if matching is not None and (isinstance(matching, bool) or not isinstance(matching, int)
                                 or not 1 <= matching <= 100):
        raise MappingFileError(f"mapping {number}: matchingPrecedence is a whole number from 1")
    return Row(source, target, matching)


def check(rows: list[Row]) -> list[Row]:
    """The rows, if each has a valid expression and target and no target repeats.

    :raise MappingFileError: for the first row that is wrong.
    """
    if not rows:
        raise MappingFileError("the mapping has no rows")
    if len(rows) > MAX_ROWS:
        raise MappingFileError(f"a mapping has at most {MAX_ROWS} rows")
    seen = set()
    for number, row in enumerate(rows, start=1):
        try:
            parse_target(row.target)
            parse(row.expression, DEFAULT)
        except (TargetError, ExpressionError) as error:
            raise MappingFileError(f"mapping {number} ({row.target}): {error}") from None
        if row.target.lower() in seen:
            raise MappingFileError(f"mapping {number}: {row.target} is mapped twice")
        seen.add(row.target.lower())
    return rows
