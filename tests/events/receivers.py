"""Real HTTP receivers in threads: one that records, fails, is slow, or goes away and comes back."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer

from tests.hardening.support import free_port


class Receiver:
    """An HTTP server on a fixed port that records every POST.

    `failures` is a list of (status, headers) answers given first, one per request; then it
    answers 204. `delay` makes each answer slow. `stop()` and `start()` take it away and
    bring it back on the same port.
    """

    def __init__(self, failures=None, delay: float = 0.0):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.failures = list(failures or [])
        self.delay = delay
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        self.server = None
        self.started = threading.Event()

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.started.set()
                time.sleep(receiver.delay)
                with receiver.lock:
                    status, headers = (receiver.failures.pop(0) if receiver.failures
                                       else (204, {}))
                    receiver.requests.append({
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body, "status": status})
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def accepted(self) -> list[dict]:
        with self.lock:
            return [r for r in self.requests if 200 <= r["status"] < 300]

    def webhook_ids(self) -> list[str]:
        """Event ids of accepted webhooks, in arrival order (duplicates kept)."""
        return [r["headers"]["webhook-id"] for r in self.accepted()]

    def webhook_events(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.accepted()]
