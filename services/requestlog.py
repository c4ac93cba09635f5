"""The request log: one row per SCIM request, written off the request's path.

Rows (and token last-used times) go to a queue that a background thread drains in
batches, so a read never waits for the database's write lock. `flush()` drains it
now (tests, the viewer, shutdown). Rows still queued when a process is killed are
lost; change records never are, as they commit with the change.
"""

import atexit
import logging
import os
import queue
import threading

from sqlalchemy import insert

from models import RequestLog
from models.engine import writing
from services import tokens

log = logging.getLogger(__name__)
BATCH = 500
INTERVAL = 0.2


class Writer:
    def __init__(self, engine, asynchronous: bool):
        self.engine = engine
        self.asynchronous = asynchronous
        self.queue: queue.Queue = queue.Queue()
        self.thread: threading.Thread | None = None
        self.pid = None
        self.lock = threading.Lock()

    def record(self, row: dict, token_id: int | None) -> None:
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

    def _run(self) -> None:
        while True:
            items = [self.queue.get()]
            while len(items) < BATCH:
                try:
                    items.append(self.queue.get(timeout=INTERVAL if len(items) < 2 else 0.01))
                except queue.Empty:
                    break
            try:
                self._write(items)
            except Exception:  # a logging failure must never take the app down
                log.exception("could not write %d request-log rows", len(items))
            finally:
                for _ in items:
                    self.queue.task_done()

    def _write(self, items) -> None:
        rows = [row for row, _ in items]
        touched = {row["token_id"]: row["at"] for row, touch in items if touch is not None}
        with writing(self.engine.dialect.name), self.engine.begin() as conn:
            conn.execute(insert(RequestLog), [_columns(r) for r in rows])
            if touched:
                tokens.touch(conn, touched)


def _columns(row: dict) -> dict:
    return {k: v for k, v in row.items() if k != "token_id"}


def init_app(app) -> Writer:
    from models import db

    with app.app_context():
        writer = Writer(db.engine, app.config["REQUEST_LOG_ASYNC"])
    app.extensions["rollcall_request_log"] = writer
    atexit.register(writer.flush)
    return writer


def writer_for(app) -> Writer:
    return app.extensions["rollcall_request_log"]
