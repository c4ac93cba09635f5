"""The request log: one row per SCIM request, written off the request's path.

Rows (and token last-used times) go to a queue that a background thread drains in
batches, so a read never waits for the database's write lock. `flush()` drains it
now (tests, the viewer, shutdown). Rows still queued when a process is killed are
lost; change records never are, as they commit with the change.

A database outage loses no row: a batch that cannot be written is retried with backoff,
then appended to a spool file under instance/ (shared by the workers, under a file
lock) and replayed, oldest first, by the first write that succeeds afterwards. A row
that cannot even be spooled is counted in a file beside it: `lost_count()`, shown on the
dashboard and by `flask audit verify`, never silent.

Each row is hashed as it is written; the same thread seals the audit chains every few
seconds (services/audit/chain.py), outside any request's transaction.
"""

import atexit
import fcntl
import json
import logging
import os
import queue
import re
import threading
import time
from contextlib import contextmanager
from datetime import datetime
from urllib.parse import unquote_plus

from sqlalchemy import insert
from sqlalchemy.exc import InterfaceError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from models import RequestLog
from models.engine import writing
from services import tokens
from services.audit import bodies
from services.audit import chain as audit_chain

log = logging.getLogger(__name__)
BATCH = 500
GATHER = 0.05
SEAL_INTERVAL = 5.0
# Query parameters whose values never reach the log (SCIM sends credentials in headers,
# but a misconfigured client may not).
SECRET_PARAM = re.compile(r"([?&][^=&]*(?:password|secret|token)[^=&]*=)[^&]*", re.I)
# Token-shaped strings (tokens.mask) are masked wherever a client put them: a path segment,
# any query parameter, a filter value, the User-Agent, a body value echoed in an error or a
# note. The prefix column (rcscim_ and 6 characters) is kept.
TEXT_COLUMNS = ("path", "user_agent", "error")
# Entra's and Okta's matching lookups, `filter=userName eq "bjensen@example.com"`: the name
# goes in its own indexed column so the viewer finds them without scanning paths.
LOOKUP = re.compile(r'[?&]filter=\s*(?:userName|displayName|externalId)\s+eq\s+'
                    r'"([^"]{1,512})"\s*(?:&|$)', re.I)

# Queued by stop(): the writer thread ends after the rows before it.
_STOP = object()
# Seconds between the tries of a batch the database refused, before it is spooled.
RETRY_DELAYS = (0.5, 1.0, 2.0)
SPOOL_FILE = "requestlog-spool.jsonl"
LOST_FILE = "requestlog-lost"
# The spool of the last app built in this process, for lost_count() without arguments.
_default_spool: str | None = None
# Lost rows this process could not even count in the file, per spool path.
_uncounted: dict = {}


class Writer:
    def __init__(self, engine, asynchronous: bool, enabled: bool = True,
                 seal_interval: float | None = SEAL_INTERVAL, spool: str | None = None,
                 retry_delays: tuple = RETRY_DELAYS):
        self.engine = engine
        self.spool = spool
        self.retry_delays = retry_delays
        self.asynchronous = asynchronous
        self.enabled = enabled
        self.seal_interval = seal_interval
        self.sealed_at = 0.0
        self.queue: queue.Queue = queue.Queue()
        self.thread: threading.Thread | None = None
        self.pid = None
        self.lock = threading.Lock()

    def record(self, row: dict, token_id: int | None) -> None:
        if not self.enabled:
            return
        row = redact(row)  # before the queue, the spool or the database see it
        touch = token_id if token_id is not None and tokens.due_for_touch(token_id) else None
        if not self.asynchronous:
            # A request does not wait out retries: on failure the row goes to the spool.
            self._keep([(row, touch)], ())
            return
        self._ensure_thread()
        self.queue.put((row, touch))

    def flush(self) -> None:
        """Block until every queued row is written."""
        if self.asynchronous and self.thread is not None:
            self.queue.join()

    def _ensure_thread(self) -> None:
        # Started lazily, and again after a fork: threads do not survive fork().
        if self.thread is not None and self.pid == os.getpid():
            return
        with self.lock:
            if self.thread is None or self.pid != os.getpid():
                self.pid = os.getpid()
                self.thread = threading.Thread(target=self._run, name="request-log", daemon=True)
                self.thread.start()

    def stop(self) -> None:
        """Write what is queued and end the thread (app teardown; tests share databases)."""
        if self.thread is not None and self.pid == os.getpid() and self.thread.is_alive():
            self.queue.put(_STOP)
            self.thread.join(timeout=30)
        self.thread = None

    def _run(self) -> None:
        while True:
            items = self._next_batch()
            rows = [item for item in items if item is not _STOP]
            if rows:
                self._keep(rows, self.retry_delays)
            elif _has_rows(self.spool):
                self._keep([], ())  # an idle moment: try to replay the spool
            for _ in items:
                self.queue.task_done()
            if len(rows) < len(items):
                return
            self._maybe_seal()

    def _next_batch(self) -> list:
        try:
            items = [self.queue.get(timeout=self.seal_interval or None)]
        except queue.Empty:
            return []
        # Let rows gather, then take them all: one wake-up per batch rather than one per
        # row, so this thread does not contend for the GIL with every request.
        time.sleep(GATHER)
        while len(items) < BATCH:
            try:
                items.append(self.queue.get_nowait())
            except queue.Empty:
                break
        return items

    def _maybe_seal(self) -> None:
        """Seal the audit chains every few seconds; a process that finds the lock taken skips."""
        now = time.monotonic()
        if not self.seal_interval or now - self.sealed_at < self.seal_interval:
            return
        self.sealed_at = now
        try:
            audit_chain.seal(self.engine)
        except Exception:
            log.exception("could not seal the audit chains")

    def _keep(self, items, delays) -> None:
        """Write the rows (and any spool first); retry, then spool what still fails."""
        for delay in (*delays, None):
            try:
                self._replay()
                if items:
                    self._write(items)
                return
            except Exception as error:  # a logging failure must never take the app down
                if not _outage(error) and self._reachable():  # a row the database refuses
                    self._salvage(items)
                    return
                if delay is None:
                    log.warning("request log: database unavailable (%s); spooling %d rows",
                                type(error).__name__, len(items))
                    break
                time.sleep(delay)
        self._spool([row for row, _ in items])

    def _spool(self, rows: list) -> None:
        if not rows:
            return
        try:
            with _locked(self.spool) as spool:
                spool.seek(0, os.SEEK_END)
                for row in rows:
                    spool.write(json.dumps(row, default=_iso) + "\n")
                spool.flush()
                os.fsync(spool.fileno())
        except Exception:
            log.exception("request log: %d rows lost (no spool)", len(rows))
            _count_lost(self.spool, len(rows))

    def _replay(self) -> None:
        """Insert the spooled rows, oldest first, then empty the spool (all or nothing)."""
        if not _has_rows(self.spool):
            return
        with _locked(self.spool) as spool:
            rows = _read(spool)
            if rows:
                self._write([(row, None) for row in rows])
                log.info("request log: replayed %d spooled rows", len(rows))
            spool.truncate(0)

    def _salvage(self, items) -> None:
        """Write spooled and new rows one by one; count the ones the database refuses."""
        rows = [row for row, _ in items]
        if _has_rows(self.spool):
            with _locked(self.spool) as spool:
                rows = _read(spool) + rows
                spool.truncate(0)
        refused = 0
        for row in rows:
            try:
                self._write([(row, None)])
            except Exception:
                log.exception("request log: the database refused a row")
                refused += 1
        if refused:
            _count_lost(self.spool, refused)

    def _reachable(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            return True
        except Exception:
            return False

    def _write(self, items) -> None:
        rows = [_columns(row) for row, _ in items]
        touched = {row["token_id"]: row["at"] for row, touch in items if touch is not None}
        with writing(self.engine.dialect.name), self.engine.begin() as conn:
            conn.execute(insert(RequestLog), rows)
            if touched:
                tokens.touch(conn, touched)


def _columns(row: dict) -> dict:
    out = {k: v for k, v in row.items() if k not in ("token_id", "bodies")}
    # Raw bodies of writes become redacted, capped text here, off the request's path.
    sent, answered = row.get("bodies") or (None, None)
    out["request_body"] = bodies.capture(out["method"], sent)
    out["response_body"] = bodies.capture(out["method"], answered)
    out["path"] = _readable(out["path"])
    lookup = LOOKUP.search(out["path"])
    out["looked_up"] = lookup.group(1).lower() if lookup else None
    out["status_class"] = out["status"] // 100
    out["content_hash"] = audit_chain.content_hash("requests", out)
    return out


def redact(row: dict) -> dict:
    """The row with token-shaped strings masked in every client-supplied text."""
    out = dict(row)
    for column in TEXT_COLUMNS:
        if out.get(column):
            out[column] = tokens.mask(out[column])
    if out.get("notes"):
        out["notes"] = [tokens.mask(note) for note in out["notes"]]
    return out


def _readable(full_path: str) -> str:
    """The query decoded (auditors search for `bjensen@x`, not `bjensen%40x`), secrets masked."""
    path, sep, query = _mask(full_path).partition("?")
    # %00 decodes to NUL, which PostgreSQL text cannot hold.
    # Masked again once decoded: %72cscim_... is a token too.
    readable = tokens.mask(_mask(path + sep + unquote_plus(query)))
    return readable.replace("\x00", "\ufffd")[:2048]


def _mask(path: str) -> str:
    return SECRET_PARAM.sub(r"\1[redacted]", path)


def _outage(error: Exception) -> bool:
    """Errors of an unreachable, restarting or locked database (retry), not of a row."""
    return isinstance(error, (OperationalError, InterfaceError, PoolTimeout, OSError))


def _has_rows(spool: str | None) -> bool:
    try:
        return bool(spool) and os.path.getsize(spool) > 0
    except OSError:
        return False


def _read(spool) -> list[dict]:
    spool.seek(0)
    rows = [_parse(line) for line in spool.read().splitlines() if line.strip()]
    return [row for row in rows if row is not None]


def _iso(value):
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _parse(line: str) -> dict | None:
    try:
        row = json.loads(line)
        row["at"] = datetime.fromisoformat(row["at"])
        return row
    except (ValueError, KeyError, TypeError):  # a line cut short by a crash mid-write
        log.error("request log: an unreadable spool line was skipped")
        return None


@contextmanager
def _locked(path: str):
    """The file at `path` (created if need be), locked against the other workers."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    with os.fdopen(fd, "r+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield handle
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _lost_path(spool: str | None) -> str | None:
    return os.path.join(os.path.dirname(spool), LOST_FILE) if spool else None


def _count_lost(spool: str | None, count: int) -> None:
    path = _lost_path(spool)
    if path is None:
        return
    try:
        with _locked(path) as handle:
            total = int(handle.read().strip() or 0) + count
            handle.seek(0)
            handle.truncate(0)
            handle.write(str(total))
    except (OSError, ValueError):
        log.exception("request log: could not count %d lost rows in a file", count)
        _uncounted[spool] = _uncounted.get(spool, 0) + count


def lost_count(spool: str | None = None) -> int:
    """Request-log rows lost for good (neither written nor spooled) since the count began."""
    spool = spool or _default_spool
    here = _uncounted.get(spool, 0)
    try:
        with open(_lost_path(spool)) as handle:
            return int(handle.read().strip() or 0) + here
    except (OSError, TypeError, ValueError):
        return here


def spooled_count(spool: str | None = None) -> int:
    """Rows waiting in the spool for the database to come back."""
    try:
        with open(spool or _default_spool) as handle:
            return sum(1 for line in handle if line.strip())
    except (OSError, TypeError):
        return 0


def health() -> dict:
    """Rows lost for good and rows waiting in the spool, for the dashboard."""
    return {"lost": lost_count(), "waiting": spooled_count()}


def init_app(app) -> Writer:
    from models import db

    global _default_spool
    spool = app.config.get("REQUEST_LOG_SPOOL") or os.path.join(app.instance_path, SPOOL_FILE)
    _default_spool = spool
    with app.app_context():
        writer = Writer(db.engine, app.config["REQUEST_LOG_ASYNC"],
                        enabled=app.config.get("REQUEST_LOG_ENABLED", True),
                        seal_interval=app.config.get("AUDIT_SEAL_INTERVAL", SEAL_INTERVAL),
                        spool=spool)
    app.extensions["rollcall_request_log"] = writer
    atexit.register(writer.flush)
    return writer


def writer_for(app) -> Writer:
    return app.extensions["rollcall_request_log"]
