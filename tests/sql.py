"""The SQL the app's engine sends while a block runs, for tests that count or read it."""

from contextlib import contextmanager

from sqlalchemy import event

from models import db


@contextmanager
def statements():
    """Collect the text of every statement the engine runs inside the block."""
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
