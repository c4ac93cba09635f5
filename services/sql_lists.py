"""A list of strings as one bound parameter, for `column IN (the list)` on a hot path.

SQLAlchemy's expanding IN renders the statement afresh for every execution, as its
length is part of the SQL: 0.1 ms for one statement of a create (cProfile,
docs/performance.md). As one parameter the compiled statement is reused: an array on
PostgreSQL, a JSON array read by SQLite's `json_each`.
"""

import json

from sqlalchemy import Text
from sqlalchemy import bindparam
from sqlalchemy import cast
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.dialects import postgresql


def among(column, name: str, dialect_name: str):
    """`column` is one of the strings bound as `name` (pass them through `value`)."""
    if dialect_name == "postgresql":
        return column == func.any(cast(bindparam(name), postgresql.ARRAY(Text)))
    return column.in_(select(func.json_each(bindparam(name)).table_valued("value").c.value))


def value(items: list[str], dialect_name: str):
    """The parameter for `among`."""
    return items if dialect_name == "postgresql" else json.dumps(items)
