"""Transactions: one service call is one transaction, committed at its end."""

from contextlib import contextmanager

from sqlalchemy import text

from models import db
from models.engine import writing
from services import errors


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


def locked_one(session, stmt, missing: str, key_share: bool = True, refresh: bool = False):
    """Load one row for update, or raise NotFound(missing).

    On PostgreSQL the row is locked FOR NO KEY UPDATE: it serialises the writers of the row
    without blocking foreign-key checks (KEY SHARE) from membership writes that reference
    it; with key_share=False, FOR UPDATE, which a delete needs to wait for them.
    SQLite writers are already serialised by write().
    """
    if db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update(key_share=key_share)
    if refresh:  # the row was read before: read it again, as it is once locked
        stmt = stmt.execution_options(populate_existing=True)
    row = session.execute(stmt).scalar_one_or_none()
    if row is None:
        raise errors.NotFound(missing)
    return row


def engine():
    """The database engine, for services that take one (the alert checks, the chain verify)."""
    return db.engine


def end() -> None:
    """End the current request's transaction and return its connection (request teardown)."""
    db.session.remove()


def discard() -> None:
    """Roll back whatever the failed request left in its transaction."""
    db.session.rollback()


def ping() -> bool:
    """Whether the database answers a trivial query; no transaction is left open."""
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:  # any failure to reach the database means "not ready"
        return False
    finally:
        db.session.rollback()


def keep_loaded(session, row) -> None:
    """Detach a written row so the commit does not expire it.

    Its attributes are then the committed state, and the response reads them without
    the SELECT an expired row would cost. Call it last in the transaction.
    """
    session.flush()
    session.expunge(row)
