"""The request log: one row per SCIM request, written off the request's path.

Rows (and token last-used times) go to a queue that a background thread drains in
batches, so a read never waits for the database's write lock. `flush()` drains it
now (tests, the viewer, shutdown). Rows still queued when a process is killed are
lost; change records never are, as they commit with the change.

Each row is hashed as it is written; the same thread seals the audit chains every few
seconds (services/audit/chain.py), outside any request's transaction.
"""

import atexit
import logging
import os
import queue
import re
import threading
import time
from urllib.parse import unquote_plus

from sqlalchemy import insert

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
# Entra's and Okta's matching lookups, `filter=userName eq "bjensen@example.com"`: the name
# goes in its own indexed column so the viewer finds them without scanning paths.
LOOKUP = re.compile(r'[?&]filter=\s*(?:userName|displayName|externalId)\s+eq\s+'
                    r'"([^"]{1,512})"\s*(?:&|$)', re.I)

# Queued by stop(): the writer thread ends after the rows before it.
_STOP = object()


class Writer:
    def __init__(self, engine, asynchronous: bool, enabled: bool = True,
                 seal_interval: float | None = SEAL_INTERVAL):
        self.engine = engine
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
        touch = token_id if token_id is not None and tokens.due_for_touch(token_id) else None
        if not self.asynchronous:
            self._write([(row, touch)])
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
                try:
                    self._write(rows)
                except Exception:  # a logging failure must never take the app down
                    log.exception("could not write %d request-log rows", len(rows))
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


def _readable(full_path: str) -> str:
    """The query decoded (auditors search for `bjensen@x`, not `bjensen%40x`), secrets masked."""
    path, sep, query = _mask(full_path).partition("?")
    # %00 decodes to NUL, which PostgreSQL text cannot hold.
    return _mask(path + sep + unquote_plus(query)).replace("\x00", "\ufffd")[:2048]


def _mask(path: str) -> str:
    return SECRET_PARAM.sub(r"\1[redacted]", path)


def init_app(app) -> Writer:
    from models import db

    with app.app_context():
        writer = Writer(db.engine, app.config["REQUEST_LOG_ASYNC"],
                        enabled=app.config.get("REQUEST_LOG_ENABLED", True),
                        seal_interval=app.config.get("AUDIT_SEAL_INTERVAL", SEAL_INTERVAL))
    app.extensions["rollcall_request_log"] = writer
    atexit.register(writer.flush)
    return writer


def writer_for(app) -> Writer:
    return app.extensions["rollcall_request_log"]
