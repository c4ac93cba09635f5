"""The request id of the work in progress, readable by services without Flask."""

from contextvars import ContextVar

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


def set_request_id(value: str | None):
    return _request_id.set(value)

_notes: ContextVar[list | None] = ContextVar("notes", default=None)


def start_notes():
    return _notes.set([])


def note(text: str) -> None:
    """Record a tolerated client quirk or an ignored attribute on the current request."""
    notes = _notes.get()
    if notes is not None and text not in notes:
        notes.append(text)


def current_notes() -> list:
    return list(_notes.get() or [])
