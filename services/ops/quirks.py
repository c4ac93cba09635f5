"""The quirk ledger: per client connection, every tolerated deviation and ignored attribute.

Each request-log row carries its notes (services/context.py `note`): "ignored unknown
attribute favouriteColour", "linked POST to existing user …"; a request without notes
holds JSON null (the writer's JSON column), so both NULL and 'null' are skipped. Grouped
by connection and note, with a count, first and last seen and an example request, they
tell an admin which attribute mappings to fix.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from sqlalchemy import Text
from sqlalchemy import cast
from sqlalchemy import select

from models import RequestLog
from models import db
from services.ops.clients import family
from services.ops.cycles import Connection

_IDS = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I)
_NUMBERS = re.compile(r"\b\d+\b")
IGNORED = "ignored unknown attribute "


@dataclass
class Quirk:
    connection: Connection
    kind: str  # "ignored attribute" or "tolerated"
    text: str
    example: str
    count: int
    first_seen: datetime
    last_seen: datetime
    first_request_id: int
    last_request_id: int

    @property
    def attribute(self) -> str | None:
        return self.example[len(IGNORED):] if self.example.startswith(IGNORED) else None

    @property
    def advice(self) -> str:
        if self.attribute:
            return (f"{self.connection.label.split(' · ')[0]} sends {self.attribute}, which "
                    "Rollcall ignores: remove the mapping or declare a custom field.")
        if self.text.startswith("linked POST"):
            return ("The client created a user that exists already and Rollcall linked them: "
                    "check the matching attribute in the client's mappings.")
        if self.text.startswith("seat limit"):
            return "Users wait for a seat: raise the seat limit or unassign users."
        return "Tolerated as sent; no action needed unless it surprises you."


def kind_of(note: str) -> tuple[str, str]:
    """The note's kind and its text with ids and numbers made generic."""
    if note.startswith(IGNORED):
        return "ignored attribute", note
    return "tolerated", _NUMBERS.sub("N", _IDS.sub("{id}", note))


def ledger(now: datetime, days: int = 30) -> list[Quirk]:
    """Every quirk seen in the last `days`, most frequent first."""
    stmt = (select(RequestLog.id, RequestLog.at, RequestLog.token_name, RequestLog.user_agent,
                   RequestLog.notes)
            .where(RequestLog.notes.is_not(None), cast(RequestLog.notes, Text) != "null",
                   RequestLog.at >= now - timedelta(days=days),
                   RequestLog.at <= now)
            .order_by(RequestLog.id).execution_options(yield_per=2000))
    found: dict[tuple, Quirk] = {}
    for row in db.session.execute(stmt):
        conn = Connection(row.token_name, family(row.user_agent))
        for note in row.notes or ():
            kind, text = kind_of(str(note))
            q = found.get((conn, text))
            if q is None:
                found[(conn, text)] = Quirk(conn, kind, text, str(note), 0, row.at, row.at,
                                            row.id, row.id)
                q = found[(conn, text)]
            q.count += 1
            q.last_seen, q.last_request_id = row.at, row.id
    return sorted(found.values(), key=lambda q: (q.connection.label, -q.count, q.text))
