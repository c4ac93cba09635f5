"""The request id of the work in progress, readable by services without Flask."""

from contextvars import ContextVar

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


def set_request_id(value: str | None):
    return _request_id.set(value)

# A request keeps this many distinct notes and counts the rest: a body with 100,000
# unknown attributes must cost neither a quadratic scan nor a megabyte of request log.
MAX_NOTES = 20
_notes: ContextVar[dict | None] = ContextVar("notes", default=None)


def start_notes():
    return _notes.set({})


def note(text: str) -> None:
    """Record a tolerated client quirk or an ignored attribute on the current request."""
    notes = _notes.get()
    if notes is None or text in notes:
        return
    if len(notes) < MAX_NOTES:
        notes[text] = None  # a dict: a set that keeps the order
    else:
        notes[_MORE] = notes.get(_MORE, 0) + 1


def current_notes() -> list:
    notes = dict(_notes.get() or {})
    more = notes.pop(_MORE, 0)
    return [*notes, *([f"... and {more} more notes"] if more else [])]


_MORE = object()  # the key of the count of notes past MAX_NOTES
