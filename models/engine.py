"""Engine set-up: SQLite pragmas and write transactions that queue instead of spinning.

SQLite allows one writer at a time. A deferred transaction that reads and then writes
can fail with SQLITE_BUSY whatever the busy timeout, so write transactions start with
BEGIN IMMEDIATE, and writers wait on locks rather than on SQLite's sleep-and-retry loop
(which inflates tail latency with idle CPU): the threads of one process on a lock, the
processes on an flock of `<database>-writer`. Without the second, one gunicorn worker
could starve the other's writers for seconds (docs/performance.md).
"""

import fcntl
import os
import threading
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import event
from sqlalchemy.engine import Engine

_immediate: ContextVar[bool] = ContextVar("immediate", default=False)
_write_lock = threading.RLock()
# The process that holds _write_lock also holds an flock on `<database>-writer`, so the
# writers of other gunicorn workers sleep in the kernel until it is free, rather than
# in SQLite's busy handler, which retries after growing sleeps (up to 100 ms each).
_held = threading.local()
_lock_files: dict[tuple[int, str], int] = {}


def engine_options(url: str, options: dict) -> dict:
    """The engine options for this database, from the configured ones.

    SQLite: no pre-ping. It guards against connections a server dropped (a restart, an
    idle timeout); a SQLite file has none to drop, and the ping cost a statement each
    time a request took a connection from the pool, two or three times per write.
    """
    options = dict(options)
    if url.startswith("sqlite"):
        options.pop("pool_pre_ping", None)
    return options


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        event.listen(engine, "connect", _postgres_connect)
    if engine.dialect.name != "sqlite":
        return
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)


def _postgres_connect(dbapi_connection, _record) -> None:
    # PostgreSQL JIT-compiles a plan whose *estimated* cost passes jit_above_cost. Our
    # queries are short, but a few estimates are huge (a recursive membership CTE, a count
    # over a million users), and compiling then costs 0.1-0.8 s for a query of 10 ms.
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET jit = off")
    dbapi_connection.commit()  # a SET inside a rolled-back transaction would be undone


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
    # On the sqlite3 connection itself: through SQLAlchemy's execute path (result set-up,
    # events) a transaction cost 10 µs more (timeit: 61 → 52 µs for a one-SELECT read).
    dbapi_connection = connection.connection.dbapi_connection
    if not _immediate.get():
        dbapi_connection.execute("BEGIN")
        return
    _lock_database(connection.engine.url.database)
    dbapi_connection.execute("BEGIN IMMEDIATE")


def _lock_database(path: str | None) -> None:
    """Take the cross-process writer lock of this database file, once per writing() block."""
    if not path or path == ":memory:" or getattr(_held, "fd", None) is not None:
        return
    key = (os.getpid(), path)  # after a fork, open anew: a shared file description shares the lock
    fd = _lock_files.get(key)
    if fd is None:
        fd = _lock_files[key] = os.open(path + "-writer", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    _held.fd = fd


@contextmanager
def writing(dialect_name: str):
    """Mark the transaction started inside as a write; on SQLite, queue on the process lock."""
    if dialect_name != "sqlite":
        yield
        return
    with _write_lock:
        token = _immediate.set(True)
        depth = getattr(_held, "depth", 0)
        _held.depth = depth + 1
        try:
            yield
        finally:
            _immediate.reset(token)
            _held.depth = depth
            if depth == 0 and getattr(_held, "fd", None) is not None:
                fcntl.flock(_held.fd, fcntl.LOCK_UN)
                _held.fd = None
