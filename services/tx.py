"""Transactions: one service call is one transaction, committed at its end."""

from contextlib import contextmanager

from models import db
from models.engine import writing
from services import column_lengths

# Once per process: every flush of every session checks string lengths (see the module).
column_lengths.install()


@contextmanager
def write():
    """Run the block in a fresh write transaction; commit on success, roll back on error."""
    session = db.session
    # End any read transaction of this request so the write starts (and locks) afresh.
    session.rollback()
    with writing(db.engine.dialect.name):
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
