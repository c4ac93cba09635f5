"""gunicorn settings; BIND, WEB_WORKERS, WEB_THREADS and GRACEFUL_TIMEOUT override them.

Workers and threads are chosen from the measurements in docs/performance.md. Shutdown
(docs/operations.md): on SIGTERM the master stops accepting, each worker finishes the
requests it has within graceful_timeout, flushes the request log and exits.
"""

import os
import tempfile

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_WORKERS", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
worker_class = "gthread"
# Entra waits up to 60 s for an answer; a stuck worker is recycled after that.
timeout = 60
# In-flight requests (a Bulk of 1000 operations included) get this long to finish on
# SIGTERM; keep the orchestrator's stop timeout (Docker, systemd, Kubernetes) above it.
graceful_timeout = int(os.environ.get("GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# The mapping workbench evaluates with GET (auditors may use it; the page works without
# JavaScript), so a whole mapping travels in the query string: allow gunicorn's maximum.
limit_request_line = 8190
# gunicorn 27's control socket sits at one per-user path that every server would share.
control_socket_disable = True
accesslog = None  # the app logs one JSON line per request (logging_setup.py)
errorlog = "-"
# gunicorn's own messages (boot, worker timeouts and kills) as JSON lines too. The root
# logger is left to the app, which adds its JSON handler in each worker.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"level": "WARNING", "handlers": []},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["json"], "propagate": False},
        # With logconfig_dict set, gunicorn logs every request here too, whatever
        # `accesslog` says: a second line per request next to the app's (and ~15% of
        # a trivial request's CPU). WARNING keeps it quiet.
        "gunicorn.access": {"level": "WARNING", "handlers": ["json"], "propagate": False},
    },
    "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "json",
                          "stream": "ext://sys.stderr"}},
    "formatters": {"json": {"()": "logging_setup.JsonFormatter"}},
}


def worker_exit(server, worker):
    """Flush the request log before a worker stops (graceful shutdown)."""
    app = getattr(worker, "wsgi", None)
    if app is not None and "rollcall_events" in getattr(app, "extensions", {}):
        app.extensions["rollcall_events"].stop()
    if app is not None and "rollcall_request_log" in getattr(app, "extensions", {}):
        app.extensions["rollcall_request_log"].flush()


# /metrics: request counters and latencies summed over every worker (services/ops/metrics.py).
# A fresh directory per server start, so counters of an earlier run are not summed in.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="rollcall-metrics-")


def child_exit(server, worker):
    """Drop a dead worker's live gauges (request-log queue depth) from /metrics."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    """Start the alert scheduler and the event delivery thread when the worker boots.

    The workers compete for each one's lease in the database (docs/events.md).
    """
    from services.events import delivery

    app = getattr(worker, "wsgi", None)
    if app is not None and "rollcall_ops_scheduler" in getattr(app, "extensions", {}):
        if app.config.get("OPS_SCHEDULER", True):
            app.extensions["rollcall_ops_scheduler"].ensure_started()
    if app is not None:
        delivery.start(app)
