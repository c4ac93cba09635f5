"""The clock of stored timestamps (naive UTC), for callers that read no models."""

from models import utcnow

__all__ = ["utcnow"]
