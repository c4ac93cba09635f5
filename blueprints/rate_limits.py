"""SCIM rate limits: one budget per bearer token, and one for failed authentications per address.

Fixed-window counters of `limits` in the storage RATELIMIT_STORAGE_URI names: by
default a SQLite file the workers of a machine share (extensions.SqliteFileStorage),
Redis across machines, `memory://` per process. Flask-Limiter did this before; resolving
its route, blueprint and application limits and their exemptions on every request cost
0.2 ms, 8% of a PATCH, for two counters (docs/performance.md).

A storage that fails must not fail the request (Entra quarantines an app whose calls
fail): the counters then live in this process's memory, and the storage is tried again
RETRY_SECONDS later.
"""

import logging
import math
import time

from limits import parse_many
from limits.strategies import FixedWindowRateLimiter
from limits.storage import storage_from_string

import extensions

log = logging.getLogger(__name__)
RETRY_SECONDS = 5.0
TOKEN_SCOPE = "scim-token"  # storage keys: LIMITER/<scope>/<key>/<amount>/<multiples>/<unit>
FAILURE_SCOPE = "scim-auth-failures"


class Exceeded(Exception):
    """A budget is spent; answered 429 with Retry-After (blueprints/scim.py)."""

    def __init__(self, limit, retry_after: int):
        super().__init__(str(limit))
        self.limit, self.retry_after = limit, retry_after


class Counters:
    """The app's limits on its storage, counting in memory while the storage fails."""

    def __init__(self, storage_uri: str, token_limits: str, failure_limits: str):
        # "200/second", or several at once as "200/second;10000/hour" (limits' notation).
        self.token_limits = parse_many(token_limits)
        self.failure_limits = parse_many(failure_limits)
        self.shared = FixedWindowRateLimiter(storage_from_string(storage_uri))
        self.local = FixedWindowRateLimiter(extensions.MemoryStorage())
        self.shared_from = 0.0  # monotonic time from which to use the shared storage again

    def spend(self, key: str) -> None:
        """Count a request against its token's budget (or its address's, without a token).

        :raise Exceeded: when the budget is spent.
        """
        for limit in self.token_limits:
            if not self._run("hit", limit, TOKEN_SCOPE, key):
                raise self._exceeded(limit, TOKEN_SCOPE, key)

    def check_failures(self, address: str) -> None:
        """:raise Exceeded: when this address has failed authentication too often."""
        for limit in self.failure_limits:
            if not self._run("test", limit, FAILURE_SCOPE, address):
                raise self._exceeded(limit, FAILURE_SCOPE, address)

    def count_failure(self, address: str) -> None:
        for limit in self.failure_limits:
            self._run("hit", limit, FAILURE_SCOPE, address)

    def _exceeded(self, limit, scope: str, key: str) -> Exceeded:
        try:
            reset = self._run("get_window_stats", limit, scope, key).reset_time
            return Exceeded(limit, max(1, math.ceil(reset - time.time())))
        except Exception:  # the storage went away between the count and now
            return Exceeded(limit, 1)

    def _run(self, method: str, limit, scope: str, key: str):
        if time.monotonic() >= self.shared_from:
            try:
                return getattr(self.shared, method)(limit, scope, key)
            except Exception:
                log.warning("rate-limit storage unavailable: counting in this process for "
                            "%.0f s", RETRY_SECONDS, exc_info=True)
                self.shared_from = time.monotonic() + RETRY_SECONDS
        return getattr(self.local, method)(limit, scope, key)


def init_app(app) -> None:
    if app.config.get("RATELIMIT_ENABLED", True):
        app.extensions["rollcall_rate_limits"] = Counters(
            app.config["RATELIMIT_STORAGE_URI"], app.config["SCIM_RATE_LIMIT"],
            app.config["SCIM_AUTH_FAILURE_LIMIT"])


def counters(app) -> Counters | None:
    """The app's counters; None when rate limits are off (RATELIMIT_ENABLED)."""
    return app.extensions.get("rollcall_rate_limits")
