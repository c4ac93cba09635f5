"""Provisioning health per connection: healthy, degraded, at risk, probably quarantined.

The rules follow "Application provisioning in quarantine status" (Microsoft Entra docs)
as summarised in /work/shared/reference/entra-scim.md §12:

- probably quarantined: the latest requests were refused (401/403, Entra reads both as
  invalid credentials); or a cycle crossed Entra's escrow threshold (from 5,000 failures,
  more than 40% failing, or more than 40,000 failures with references excluded, or
  60,000 of any kind); or a failing cycle was followed by more than 6 hours of silence.
  A quarantined job is retried 6 h, 12 h and 24 h after the first failure, then daily,
  and disabled after 28 days.
- at risk of quarantine: some requests refused; more than 40% failing (below the 5,000
  that Entra needs to judge); a 404 on a filter query (a compliance failure); or no
  request for more than 6 hours.
- degraded: failures at or above `degraded_ratio`, any 5xx, or the next cycle overdue.

Silence is ambiguous: an incremental cycle with nothing to change sends nothing, so
a quiet tenant looks like a stopped job. The reasons say so.
"""

from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta

from services.ops import cycles as cycles_service
from services.ops.clients import ClientSeen
from services.ops.config import OpsConfig
from services.ops.cycles import Connection
from services.ops.cycles import Cycle

STATES = ("healthy", "degraded", "at_risk", "quarantined")
LABELS = {"healthy": "Healthy", "degraded": "Degraded", "at_risk": "At risk of quarantine",
          "quarantined": "Probably quarantined", "idle": "No traffic yet"}
BADGES = {"healthy": "ok", "degraded": "warning", "at_risk": "danger", "quarantined": "danger",
          "idle": "muted"}
QUIET = timedelta(hours=6)
RETRIES = (timedelta(hours=6), timedelta(hours=12), timedelta(hours=24))
DISABLED_AFTER = timedelta(days=28)
ESCROW_MINIMUM = 5000
ESCROW_RATIO = 0.40
ESCROW_FAILURES = 40000
ABSOLUTE_FAILURES = 60000


@dataclass
class ConnectionHealth:
    connection: Connection
    cycles: list[Cycle]
    last_seen: datetime
    state: str = "healthy"
    reasons: list[str] = field(default_factory=list)
    next_due: datetime | None = None
    quarantined_since: datetime | None = None

    @property
    def label(self) -> str:
        return LABELS[self.state]

    @property
    def badge(self) -> str:
        return BADGES[self.state]

    @property
    def last_cycle(self) -> Cycle | None:
        return self.cycles[-1] if self.cycles else None

    def since_last(self, now: datetime) -> timedelta:
        return now - self.last_seen

    def raise_to(self, state: str, reason: str) -> None:
        if STATES.index(state) > STATES.index(self.state):
            self.state = state
        self.reasons.append(reason)


def assess(conn: Connection, cycles: list[Cycle], last_seen: datetime, last_status: int,
           now: datetime, config: OpsConfig) -> ConnectionHealth:
    """The state of one connection at `now`, with the reasons in words."""
    h = ConnectionHealth(conn, cycles, last_seen)
    last = h.last_cycle
    silence = now - last_seen
    if last is not None:
        _judge_cycle(h, last, config)
    elif last_status in cycles_service.REFUSED:
        h.raise_to("quarantined", f"Its last request, {_ago(silence)} ago, was refused "
                                  f"({last_status}).")
    _judge_silence(h, silence, config)
    if h.state == "quarantined":
        _retry_schedule(h, now)
    elif last is not None:
        h.next_due = last.start + config.interval
    if not h.reasons:
        h.reasons.append("The last cycle ran without failures.")
    return h


def _judge_cycle(h: ConnectionHealth, c: Cycle, config: OpsConfig) -> None:
    if c.ends_refused:
        h.raise_to("quarantined", f"The last cycle ended with its requests refused ({c.refused} "
                                  f"× 401/403): {_refusal_effect(h.connection)} Check the "
                                  "token the client sends.")
    elif c.refused:
        h.raise_to("at_risk", f"{c.refused} request(s) of the last cycle were refused (401/403).")
    # Refusals are reported above; the share below is of requests that got through.
    events = c.requests - c.reference_requests - c.refused
    failed = c.counted_failures - c.refused
    ratio = failed / events if events > 0 else 0.0
    share = f"{failed} of {events} requests of the last cycle failed ({ratio:.0%}, references " \
            "excluded)"
    if _over_escrow(c):
        h.raise_to("quarantined", f"The last cycle crossed Entra's quarantine threshold: "
                                  f"{c.failures} failures, {c.failure_ratio:.0%} of requests "
                                  "(references excluded).")
    elif ratio > ESCROW_RATIO:
        h.raise_to("at_risk", share + "; from 5,000 failures Entra quarantines above 40%.")
    elif failed and ratio >= config.degraded_ratio:
        h.raise_to("degraded", share + ".")
    if c.filter_not_found:
        h.raise_to("at_risk", f"{c.filter_not_found} filter query(ies) got 404 instead of 200 "
                              "with an empty list: Entra quarantines for this compliance issue.")
    if c.server_errors:
        h.raise_to("degraded", f"{c.server_errors} request(s) of the last cycle got a 5xx.")


def _refusal_effect(conn: Connection) -> str:
    if conn.family == "entra":
        return "Entra reads that as invalid credentials and quarantines the job."
    return "the client cannot provision until it sends a valid token."


def _over_escrow(c: Cycle) -> bool:
    share = c.failures >= ESCROW_MINIMUM and c.failure_ratio > ESCROW_RATIO
    return share or c.counted_failures > ESCROW_FAILURES or c.failures > ABSOLUTE_FAILURES


def _judge_silence(h: ConnectionHealth, silence: timedelta, config: OpsConfig) -> None:
    if silence <= config.overdue:
        return
    words = (f"No request for {_ago(silence)}: a running job calls about every "
             f"{config.cycle_interval_minutes:g} minutes when anything changed in Entra")
    if silence > QUIET and h.state in ("at_risk", "quarantined"):
        h.raise_to("quarantined", words + "; after a failing cycle this silence matches "
                                          "quarantine (retries after 6 h, 12 h, 24 h, then daily).")
    elif silence > QUIET:
        h.raise_to("at_risk", words + ". The job may be stopped or quarantined, or nothing "
                                      "changed: check its provisioning logs in Entra.")
    else:
        h.raise_to("degraded", words + ": the next cycle is overdue.")


def _retry_schedule(h: ConnectionHealth, now: datetime) -> None:
    """Entra's retries of a quarantined job: 6 h, 12 h, 24 h after the failure, then daily."""
    last = h.last_cycle
    since = (last.first_failure_at if last and last.first_failure_at else h.last_seen)
    h.quarantined_since = since
    if now - since > DISABLED_AFTER:
        h.reasons.append(f"Quarantined since {since:%Y-%m-%d %H:%M} UTC, more than 28 days: "
                         "Entra has probably disabled the job. Fix the cause, then restart "
                         "provisioning in Entra.")
        return
    due = [since + r for r in RETRIES]
    while due[-1] <= now:
        due.append(due[-1] + timedelta(hours=24))
    h.next_due = next(d for d in due if d > now)
    h.reasons.append(f"Entra retries a quarantined job 6 h, 12 h and 24 h after the first "
                     f"failure, then daily: next retry about {h.next_due:%Y-%m-%d %H:%M} UTC.")


def _ago(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} minutes"
    if minutes < 48 * 60:
        return f"{minutes // 60} hours"
    return f"{minutes // 1440} days"


def overview(now: datetime, config: OpsConfig, seen: list[ClientSeen],
             retired: frozenset = frozenset(), hours: float | None = None
             ) -> list[ConnectionHealth]:
    """Health of every provisioning connection seen in the last 30 days, worst first.

    Requests with no token at all from an unrecognised client (scanners, curl) are left
    out; an Entra or Okta agent presenting an unknown token is a connection that fails.
    A connection on a `retired` (revoked or expired) token is left out once nothing
    sends that token any more: its last request succeeded, or the same client family
    has succeeded since on another token (a finished rotation). `hours` (default
    `history_hours`) bounds the cycles read: the state needs only the last one.
    """
    since = now - timedelta(hours=hours or config.history_hours)
    found = cycles_service.load(since, now, config.gap)
    kept = [c for c in seen if not (c.token_name is None and c.family == "other")]
    kept = [c for c in kept if not _rotated_away(c, kept, retired)]
    out = [assess(Connection(c.token_name, c.family),
                  found.get(Connection(c.token_name, c.family), []),
                  c.last_seen, c.last_status, now, config) for c in kept]
    return sorted(out, key=lambda h: (-STATES.index(h.state), h.connection.label))


def _rotated_away(c: ClientSeen, seen: list[ClientSeen], retired: frozenset) -> bool:
    if c.token_name is None or c.token_name not in retired:
        return False
    if c.last_status not in cycles_service.REFUSED:
        return True
    return any(o.family == c.family and o.token_name not in (None, c.token_name)
               and o.last_seen > c.last_seen and o.last_status < 400 for o in seen)
