"""Per-process caches, cleared together by one hook.

A module that caches what the database holds registers its clear function here at
import; `clear` empties them all (the tests do between two tests, where each test's
database starts empty). A module not imported yet has nothing cached.
"""

from collections.abc import Callable

_clearers: list[Callable[[], None]] = []


def register(clear_function: Callable[[], None]) -> Callable[[], None]:
    """Add a cache's clear function; returns it, so it can decorate."""
    if clear_function not in _clearers:
        _clearers.append(clear_function)
    return clear_function


def clear() -> None:
    """Empty every registered per-process cache."""
    for clear_function in _clearers:
        clear_function()
