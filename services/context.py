"""The request id and directory of the work in progress, readable by services without Flask."""

from contextlib import contextmanager
from contextvars import ContextVar

from models import directory

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


def saved_notes() -> dict | None:
    """The notes as they stand, for `restore_notes` when work is thrown away and redone."""
    notes = _notes.get()
    return None if notes is None else dict(notes)


def restore_notes(saved: dict | None) -> None:
    notes = _notes.get()
    if notes is not None and saved is not None:
        notes.clear()
        notes.update(saved)


def current_notes() -> list:
    notes = dict(_notes.get() or {})
    more = notes.pop(_MORE, 0)
    return [*notes, *([f"... and {more} more notes"] if more else [])]


_MORE = object()  # the key of the count of notes past MAX_NOTES


# The directory of the work in progress lives beside the models (models/directory.py),
# which default new rows to it and scope queries by it.
def current_directory_id() -> int:
    """The current directory's id: the default directory (1) when nothing set one."""
    return directory.current_id()


def set_directory_id(directory_id: int):
    """Make a directory current; returns the token that `reset_directory_id` takes."""
    return directory.set_current(directory_id)


def reset_directory_id(token) -> None:
    directory.reset_current(token)


@contextmanager
def in_directory(directory_id: int):
    """Run the block in directory `directory_id`, then return to the one before."""
    token = directory.set_current(directory_id)
    try:
        yield
    finally:
        directory.reset_current(token)
