"""Engine set-up: SQLite pragmas and write transactions that queue instead of spinning.

SQLite allows one writer at a time. A deferred transaction that reads and then writes
can fail with SQLITE_BUSY whatever the busy timeout, so write transactions start with
BEGIN IMMEDIATE, and the writers of one process wait on a lock rather than on SQLite's
sleep-and-retry loop (which inflates tail latency with idle CPU).
"""

import threading
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import event
from sqlalchemy.engine import Engine

_immediate: ContextVar[bool] = ContextVar("immediate", default=False)
_write_lock = threading.RLock()


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)


def _sqlite_connect(dbapi_connection, _record) -> None:
    # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own is unreliable).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in (
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "busy_timeout=10000",
        "foreign_keys=ON",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_begin(connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")


@contextmanager
def writing(dialect_name: str):
    """Mark the transaction started inside as a write; on SQLite, queue on the process lock."""
    if dialect_name != "sqlite":
        yield
        return
    with _write_lock:
        token = _immediate.set(True)
        try:
            yield
        finally:
            _immediate.reset(token)
