"""CSV and JSON Lines exports of a filtered range of the audit trail, as generators.

Rows are read in keyset batches of 1,000 (oldest first) and turned into text batch by
batch, so an export of millions of rows never holds more than one batch in memory.
"""

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import select

from models import ChangeRecord
from models import RequestLog
from models import db
from models.scoping import ALL_DIRECTORIES
from services.audit import query as audit_query

BATCH = 1000
HASHES = ("seq", "content_hash", "prev_hash", "chain_hash")
COLUMNS = {
    "requests": ("id", "at", "request_id", "token_name", "token_prefix", "client_ip",
                 "user_agent", "method", "path", "status", "duration_ms", "resource_type",
                 "resource_id", "error", "notes", "directory_id") + HASHES,
    "changes": ("id", "at", "request_id", "actor_kind", "actor", "action", "resource_type",
                "resource_id", "resource_name", "changes", "directory_id") + HASHES,
}
FORMATS = ("csv", "jsonl")
# A spreadsheet would run these as formulas; user agents and names come from outside.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# Excel reads a CSV file as the local code page unless it starts with a UTF-8 byte-order mark.
BOM = "\ufeff"


def export(kind: str, f, fmt: str, bom: bool = False) -> Iterator[str]:
    """The records of `kind` ("requests" or "changes") that match filter `f`, as text chunks.

    `bom` starts a CSV with a byte-order mark, for spreadsheets (the web download does).
    """
    columns = COLUMNS[kind]
    if fmt == "csv":
        yield (BOM if bom else "") + _csv_lines([columns])
    for rows in batches(kind, f):
        if fmt == "csv":
            yield _csv_lines([[_cell(getattr(r, c)) for c in columns] for r in rows])
        else:
            yield "".join(json.dumps({c: _json(getattr(r, c)) for c in columns},
                                     ensure_ascii=False) + "\n" for r in rows)


def batches(kind: str, f) -> Iterator[list]:
    """Matching rows oldest first, BATCH at a time (WHERE id > :last ORDER BY id)."""
    model = RequestLog if kind == "requests" else ChangeRecord
    conditions = (audit_query.request_conditions(f) if kind == "requests"
                  else audit_query.change_conditions(f))
    columns = [getattr(model, c) for c in COLUMNS[kind]]
    last = None
    while True:
        stmt = select(*columns).where(*conditions)
        if last is not None:
            stmt = stmt.where(model.id > last)
        # The filter's conditions name the directory, or all of them (query._directory).
        stmt = stmt.execution_options(**ALL_DIRECTORIES)
        rows = db.session.execute(stmt.order_by(model.id).limit(BATCH)).all()
        if rows:
            yield rows
        if len(rows) < BATCH:
            return
        last = rows[-1].id


def _csv_lines(rows) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds") + "Z"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _json(value):
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds") + "Z"
    return value
