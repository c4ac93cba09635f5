"""gunicorn settings; BIND, WEB_WORKERS and WEB_THREADS override them.

Workers and threads are chosen from the measurements in docs/performance.md.
"""

import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_WORKERS", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
worker_class = "gthread"
# Entra waits up to 60 s for an answer; a stuck worker is recycled after that.
timeout = 60
graceful_timeout = 30
keepalive = 5
accesslog = None
errorlog = "-"


def worker_exit(server, worker):
    """Flush the request log before a worker stops (graceful shutdown)."""
    app = getattr(worker, "wsgi", None)
    if app is not None and "rollcall_request_log" in getattr(app, "extensions", {}):
        app.extensions["rollcall_request_log"].flush()
