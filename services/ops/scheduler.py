"""The alert checks once a minute, in a thread of each app process, one process at a time.

Every process (each gunicorn worker, `flask run`) starts the thread on its first request
or, under gunicorn, when the worker boots (gunicorn.conf.py). Each minute the thread
tries to take the database lease "alerts"; only the holder runs the checks, so with
several workers and hosts they run once. `flask --app app alerts run` does the same
once, for cron, and takes the same lease.
"""

import logging
import os
import threading
from datetime import timedelta

from services.ops import alerts
from services.ops import clock
from services.ops import lease

log = logging.getLogger(__name__)
LEASE = "alerts"
TTL = timedelta(seconds=90)


class Scheduler:
    def __init__(self, app, interval: float = 60.0):
        self.app = app
        self.interval = interval
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.pid = None
        self.lock = threading.Lock()
        self.runs = 0

    def ensure_started(self) -> None:
        # Threads do not survive fork(): a worker starts its own.
        if self.thread is not None and self.pid == os.getpid():
            return
        with self.lock:
            if self.thread is None or self.pid != os.getpid():
                self.pid = os.getpid()
                self.stopping.clear()
                self.thread = threading.Thread(target=self._loop, name="ops-alerts", daemon=True)
                self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        if self.thread is not None and self.pid == os.getpid():
            self.thread.join(timeout=30)
        self.thread = None

    def _loop(self) -> None:
        while not self.stopping.wait(self.interval):
            try:
                self.tick()
            except Exception:  # a failing check must not end the thread
                log.exception("the scheduled alert checks failed")

    def tick(self) -> bool:
        """Run the checks if this process holds the lease; True when it ran them."""
        from models import db
        from services.ops import config

        with self.app.app_context():
            try:
                if not lease.acquire(LEASE, clock.now(), TTL):
                    return False
                alerts.run(clock.now(), config.from_mapping(self.app.config), db.engine)
                self.runs += 1
                return True
            finally:
                db.session.remove()


def init_app(app) -> Scheduler:
    """Attach the scheduler; it starts with the first request when OPS_SCHEDULER is on."""
    scheduler = Scheduler(app, app.config.get("OPS_SCHEDULER_INTERVAL", 60.0))
    app.extensions["rollcall_ops_scheduler"] = scheduler
    if app.config.get("OPS_SCHEDULER", True) and not app.testing:
        app.before_request(scheduler.ensure_started)
    return scheduler


def scheduler_for(app) -> Scheduler:
    return app.extensions["rollcall_ops_scheduler"]
