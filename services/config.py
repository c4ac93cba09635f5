"""Configuration as services read it, without Flask.

app.py's DEFAULTS is the one table of defaults; the app factory hands its config to
`use` at start-up and again whenever one of its contexts is pushed (tests build many
apps in one process), with the app's request log writer. Services read `get(key)`.
"""

from collections.abc import Mapping

_current: dict = {"config": {}, "request_log": None}


def use(config: Mapping, request_log=None) -> None:
    """Make this app's configuration (and request log writer) the one services read."""
    _current["config"] = config
    _current["request_log"] = request_log


def get(key: str):
    """:raise KeyError: for a key the app's config does not hold (see app.DEFAULTS)."""
    return _current["config"][key]


def mapping() -> Mapping:
    """The whole configuration of the app in use, read-only by convention."""
    return _current["config"]


def request_log():
    """The request-log writer of the app in use (services/audit/requestlog.py)."""
    return _current["request_log"]
