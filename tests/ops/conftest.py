"""Operations fixtures: a shared clock, Entra traffic, an SMTP sink and a webhook receiver.

The sink and the receiver are real servers on 127.0.0.1, started per test.
"""

import json
import socketserver
import threading
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer

import pytest

from services import tokens
from tests.admin.conftest import admin_client  # noqa: F401 (the admin UI's fixtures)
from tests.admin.conftest import cheap_hashes  # noqa: F401
from tests.admin.conftest import client  # noqa: F401
from tests.admin.helpers import FreshClient
from tests.admin.helpers import make_account
from tests.admin.helpers import sign_in
from tests.conftest import ADMIN

ENTRA = "Microsoft Azure AD SCIM Client"
OKTA = "Okta SCIM Client 1.0.0"
START = datetime(2026, 3, 2, 9, 0, 0)


class Clock:
    """The time for request-log rows, token expiry, and the health checks."""

    def __init__(self, now: datetime):
        self.t = now

    def __call__(self) -> datetime:
        return self.t

    def advance(self, **kw) -> datetime:
        self.t += timedelta(**kw)
        return self.t


@pytest.fixture
def clock(monkeypatch):
    """One controllable clock patched into every place that reads the time for these checks."""
    c = Clock(START)
    for target in ("blueprints.scim.utcnow", "services.tokens.utcnow",
                   "services.readmodels.dashboard.utcnow", "services.ops.clock.now",
                   "blueprints.admin_tokens.utcnow"):
        monkeypatch.setattr(target, c)
    return c


@pytest.fixture
def auditor_client(app):
    """An auditor on a client of its own, so a test can hold an admin beside it."""
    app.test_client_class = FreshClient
    c = app.test_client()
    make_account("olga", "auditor")
    assert sign_in(c, "olga").status_code == 302
    return c


class Provisioner:
    """A SCIM client with its own User-Agent and token, making real requests."""

    def __init__(self, client, secret, agent, base="/scim/v2"):  # noqa: F811 (a parameter)
        self.client, self.secret, self.agent, self.base = client, secret, agent, base

    def call(self, method, path, body=None):
        headers = {"Authorization": f"Bearer {self.secret}", "User-Agent": self.agent,
                   "Content-Type": "application/scim+json"}
        return self.client.open(f"{self.base}/{path}", method=method, json=body, headers=headers,
                                environ_base={"REMOTE_ADDR": "20.190.128.7"})

    def cycle(self, clock, users=(), fail=0, spacing=5):
        """One Entra-like cycle: the probe, then a create per user, then `fail` bad requests."""
        self.call("GET", 'Users?filter=userName eq "0f1e2d3c-probe"')
        for name in users:
            clock.advance(seconds=spacing)
            self.call("POST", "Users", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                                        "userName": name, "active": True})
        for _ in range(fail):
            clock.advance(seconds=spacing)
            self.call("GET", "Users/00000000-0000-0000-0000-000000000000")


@pytest.fixture
def issue(clock):
    """Issue a token at the clock's time; returns its secret."""

    def issue(name="entra-prod", days=90):
        return tokens.issue(name, days, ADMIN)[1]

    return issue


@pytest.fixture
def entra(client, issue):  # noqa: F811 (the imported fixture)
    return Provisioner(client, issue("entra-prod"), ENTRA)


@dataclass
class Sink:
    host: str
    port: int
    messages: list = field(default_factory=list)


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) to accept a message: EHLO, MAIL, RCPT, DATA, QUIT."""

    def handle(self):
        self._say("220 sink ready")
        envelope = {"to": [], "data": ""}
        while True:
            line = self.rfile.readline().decode()
            if not line:
                return
            verb = line[:4].upper()
            if verb in ("EHLO", "HELO"):
                self._say("250-sink")
                self._say("250 SMTPUTF8")  # recipients like zoë@example.com need it
            elif verb == "MAIL":
                envelope["from"] = line[10:].strip()
                self._say("250 OK")
            elif verb == "RCPT":
                envelope["to"].append(line[8:].strip())
                self._say("250 OK")
            elif verb == "DATA":
                self._say("354 go on")
                envelope["data"] = self._data()
                self.server.sink.messages.append(dict(envelope))
                self._say("250 queued")
            elif verb == "QUIT":
                self._say("221 bye")
                return
            else:
                self._say("250 OK")

    def _data(self) -> str:
        lines = []
        while True:
            line = self.rfile.readline().decode()
            if line in (".\r\n", ""):
                return "".join(lines)
            lines.append(line)

    def _say(self, text):
        self.wfile.write(text.encode() + b"\r\n")


@pytest.fixture
def smtp_sink():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SmtpHandler)
    server.daemon_threads = True
    server.sink = Sink(*server.server_address)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.sink
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@dataclass
class Receiver:
    url: str
    received: list = field(default_factory=list)
    # Statuses to answer with, in turn; 204 once they run out.
    answers: list = field(default_factory=list)


class _HookHandler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        receiver = self.server.receiver
        receiver.received.append({"headers": dict(self.headers), "body": body,
                                  "json": json.loads(body)})
        status = receiver.answers.pop(0) if receiver.answers else 204
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook_receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HookHandler)
    server.daemon_threads = True
    server.receiver = Receiver(f"http://127.0.0.1:{server.server_address[1]}/hook")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.receiver
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
