"""Structured logs: one JSON object per line on stderr, each with the request id.

Log collectors (journald, Docker, Loki, CloudWatch) parse these without a grok pattern.
Nothing here logs headers or bodies; a redacting filter also scrubs anything that looks
like a bearer token or a password from messages and tracebacks, in case a library or a
future log line lets one through.
"""

import json
import logging
import re
import sys
import time

from flask import Flask
from flask import g
from flask import request

from services import folding
from services import tokens
from services.context import current_request_id

# The loggers of our own code; alembic's fileConfig disables loggers that exist when a
# migration runs in-process (tests, `flask db upgrade` before serving), so re-enable them.
OWN_LOGGERS = ("rollcall", "rollcall.request", "services", "app")
_SECRETS = [
    (re.compile(r"(?i)\b(bearer|basic)\s+[^\s\"',}]{8,}"), r"\1 [redacted]"),
    (tokens.TOKEN_SHAPED, "rcscim_[redacted]"),
    (re.compile(r"(?i)([\"']?(?:password|passwd|secret|authorization)[\"']?\s*[:=]\s*)"
                r"(\"[^\"]*\"|'[^']*'|[^\s,}]+)"), r"\1[redacted]"),
]


# The words _SECRETS' first and last patterns need; most fields hold none of them.
_WORDS = ("bearer", "basic", "password", "passwd", "secret", "authorization")


def redact(text: str) -> str:
    if not folding.contains_any(text, _WORDS):
        return tokens.mask(text)  # the token pattern alone (it has its own shortcut)
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


def _redacted(value):
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _redacted(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redacted(item) for item in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return redact(str(value))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or current_request_id(),
        }
        entry.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        # Every field: a path (/Users/rcscim_...) or a library's field can carry a secret.
        return json.dumps(_redacted(entry), default=str)


JsonFormatter.converter = time.gmtime


class StderrHandler(logging.StreamHandler):
    """Write to the current sys.stderr (test runners and gunicorn swap it)."""

    def __init__(self):
        super().__init__()
        self.setFormatter(JsonFormatter())

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


def init_app(app: Flask) -> None:
    level = app.config.get("LOG_LEVEL", "INFO")
    root = logging.getLogger()
    if not any(isinstance(h, StderrHandler) for h in root.handlers):
        root.addHandler(StderrHandler())
    for name in OWN_LOGGERS:
        logger = logging.getLogger(name)
        logger.disabled = False
        logger.setLevel(level)
    if app.config.get("LOG_REQUESTS", True):
        app.before_request(_start)
        app.after_request(_log_request)


def _start():
    g.setdefault("log_started", time.perf_counter())


def _log_request(response):
    """One line per request: no query string (filters hold personal data), no headers."""
    started = g.pop("log_started", None) or time.perf_counter()
    token = g.get("token")
    fields = {
        "method": request.method,
        "path": request.path,
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        "remote_addr": request.remote_addr,
        "token": token.name if token else None,
    }
    logging.getLogger("rollcall.request").info(
        "%s %s %s", request.method, request.path, response.status_code,
        extra={"fields": fields, "request_id": g.get("request_id")})
    return response
