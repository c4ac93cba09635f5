"""Transactions: one service call is one transaction, committed at its end."""

import weakref
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.orm.attributes import set_committed_value

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


def read_connection():
    """The request's connection for a read whose statements need no common snapshot.

    PostgreSQL at READ COMMITTED (its default, and Rollcall's) gives each statement of a
    transaction a snapshot of its own, so such a read sees the same in autocommit, without
    a BEGIN and a ROLLBACK: two of an Entra lookup's five round trips. Not for a
    server-side cursor, which needs a transaction, and never for a write (`write` starts
    afresh). SQLite: the session's connection, as for any read.
    """
    session = db.session()
    if db.engine.dialect.name != "postgresql" or session.in_transaction():
        return session.connection()
    return session.connection(execution_options=_AUTOCOMMIT)


_AUTOCOMMIT = {"isolation_level": "AUTOCOMMIT"}


def locked_one(session, stmt, missing: str, key_share: bool = True, refresh: bool = False,
               params: dict | None = None):
    """Load one row for update, or raise NotFound(missing).

    On PostgreSQL the row is locked FOR NO KEY UPDATE: it serialises the writers of the row
    without blocking foreign-key checks (KEY SHARE) from membership writes that reference
    it; with key_share=False, FOR UPDATE, which a delete needs to wait for them.
    SQLite writers are already serialised by write(). A statement built once (with `params`)
    keeps its locking variants, and with them SQLAlchemy's cache keys and the directory
    scoping's copies (models/scoping.py).
    """
    row = session.execute(_locking(stmt, db.engine.dialect.name == "postgresql", key_share,
                                   refresh), params).scalar_one_or_none()
    if row is None:
        raise errors.NotFound(missing)
    return row


def locked_row(session, stmt, params: dict):
    """As locked_one (FOR NO KEY UPDATE), for a Core select of columns: its mapping, or None."""
    variant = _locking(stmt, db.engine.dialect.name == "postgresql", True, False)
    return session.connection().execute(variant, params).mappings().first()


# {statement: {(postgresql, key_share, refresh): the statement to run}}
_variants: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _locking(stmt, postgresql: bool, key_share: bool, refresh: bool):
    if not (postgresql or refresh):
        return stmt  # cached, it would hold its own weak key alive
    variants = _variants.get(stmt)
    if variants is None:
        variants = _variants[stmt] = {}
    key = (postgresql, key_share, refresh)
    variant = variants.get(key)
    if variant is None:
        variant = stmt
        if postgresql:
            variant = variant.with_for_update(key_share=key_share)
        if refresh:  # the row was read before: read it again, as it is once locked
            variant = variant.execution_options(populate_existing=True)
        variants[key] = variant
    return variant


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


def mark_written(row, values: dict) -> None:
    """Set `values` on a loaded row as its committed state: a Core UPDATE wrote them.

    Set this way, not as attributes, the row stays clean: the session's flush at
    commit has nothing to compare (its unit of work cost 0.27 ms for one row).
    """
    for key, value in values.items():
        set_committed_value(row, key, value)
