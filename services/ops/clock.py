"""The time the health checks, alerts and pages use; tests replace `now` to drive cycles."""

from datetime import datetime

from models import utcnow


def now() -> datetime:
    return utcnow()
