"""Reading the directory or the audit log leaves a trace: who, what, which filter.

Auditors of an auditing tool expect the trail to show who looked. Page views are recorded
at most once a minute per page and filter per session (paging through one filter is one
view); exports are recorded every time. Each is a change record (`directory.view`,
`directory.export`, `audit.view`, `audit.export`) written by services/audit.
"""

import hashlib
import time

from flask import request
from flask import session

from blueprints.admin import actor
from services import audit

VIEW_EVERY = 60.0
# Cursors and page numbers move within one filter: they do not make a new view.
PAGING = ("page", "before", "after")
RESOURCE_TYPES = {"audit": "AuditLog", "directory": "Directory"}


def filter_args() -> dict:
    return {k: v for k, v in sorted(request.args.items()) if k not in PAGING and v}


def viewed(area: str, what: str, resource_id: str | None = None) -> None:
    """Record a page view of `area` ("audit" or "directory"), throttled per session."""
    args = filter_args()
    key = hashlib.sha256(f"{area}|{what}|{resource_id}|{args}".encode()).hexdigest()[:16]
    now = time.time()
    seen = {k: t for k, t in session.get("viewed", {}).items() if now - t < VIEW_EVERY}
    if key not in seen:
        seen[key] = now
        _record(f"{area}.view", area, what, resource_id, args)
    session["viewed"] = seen


def exported(area: str, what: str) -> None:
    """Record an export of `area`, always."""
    _record(f"{area}.export", area, what, None, filter_args())


def _record(action: str, area: str, what: str, resource_id, args: dict) -> None:
    audit.log_event(actor(), action, RESOURCE_TYPES[area], resource_id, what,
                    {"page": [None, what], "filter": [None, args or None]})
