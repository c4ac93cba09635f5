"""Hook points other parts of Rollcall fill in; operations reads them.

`lost_request_log_rows`: the request log (services/audit/requestlog.py) counts rows it
could not write; the security work owns that counter. Until it registers a source with
`register_lost_rows`, the alert and the metric report nothing (None), never zero.
"""

from collections.abc import Callable

_lost_rows_source: Callable[[], int] | None = None


def register_lost_rows(source: Callable[[], int] | None) -> None:
    """Register the function that returns the total of request-log rows lost so far."""
    global _lost_rows_source
    _lost_rows_source = source


def lost_request_log_rows() -> int | None:
    """Rows lost so far (monotonic), or None while no counter is registered."""
    return _lost_rows_source() if _lost_rows_source is not None else None
