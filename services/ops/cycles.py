"""Provisioning cycles, found in the request log by the pauses between requests.

Entra runs an initial cycle, then one about every 40 minutes, each a burst of requests
(/work/shared/reference/entra-scim.md §4). Per connection (token and client family) a
pause longer than `cycle_gap_minutes` (10 by default) ends a cycle: a 40-minute rhythm
leaves 30 quiet minutes between bursts, while requests within a burst follow each other
within seconds. Provision-on-demand and Test Connection make cycles of a few requests.

Failures follow Entra's count for quarantine ("Application provisioning in quarantine
status"): reference updates (group memberships, PATCH /Groups) are excluded from the
failure share; every failure counts toward the absolute limits.
"""

from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta

from sqlalchemy import select

from models import RequestLog
from models import db
from services.ops.clients import LABELS
from services.ops.clients import family

REFUSED = (401, 403)


@dataclass(frozen=True)
class Connection:
    token_name: str | None
    family: str

    @property
    def label(self) -> str:
        token = self.token_name or "an unknown token"
        return f"{LABELS[self.family]} · {token}"

    @property
    def key(self) -> str:
        return f"{self.token_name or '-'}/{self.family}"


@dataclass
class Cycle:
    start: datetime
    end: datetime
    first_id: int
    last_id: int
    requests: int = 0
    creates: int = 0
    updates: int = 0
    deletes: int = 0
    failures: int = 0
    reference_requests: int = 0
    reference_failures: int = 0
    refused: int = 0
    server_errors: int = 0
    filter_not_found: int = 0
    last_status: int = 0
    first_failure_at: datetime | None = None
    statuses: dict = field(default_factory=dict)

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    @property
    def counted_failures(self) -> int:
        """Failures that count toward Entra's 40% share: references excluded."""
        return self.failures - self.reference_failures

    @property
    def failure_ratio(self) -> float:
        events = self.requests - self.reference_requests
        return self.counted_failures / events if events else 0.0

    @property
    def ends_refused(self) -> bool:
        return self.last_status in REFUSED

    def add(self, row) -> None:
        self.end, self.last_id, self.last_status = row.at, row.id, row.status
        self.requests += 1
        self.statuses[row.status // 100] = self.statuses.get(row.status // 100, 0) + 1
        reference = row.method == "PATCH" and row.resource_type == "Group"
        self.reference_requests += reference
        if row.status >= 400:
            self._failed(row, reference)
        elif row.method == "POST" and row.status == 201:
            self.creates += 1
        elif row.method in ("PATCH", "PUT"):
            self.updates += 1
        elif row.method == "DELETE":
            self.deletes += 1

    def _failed(self, row, reference: bool) -> None:
        self.failures += 1
        self.reference_failures += reference
        self.refused += row.status in REFUSED
        self.server_errors += row.status >= 500
        # A 404 on a filter query is Entra's "SCIM compliance issue" quarantine reason.
        self.filter_not_found += (row.status == 404 and row.method == "GET"
                                  and "filter=" in (row.path or ""))
        if self.first_failure_at is None:
            self.first_failure_at = row.at


def split(rows, gap: timedelta) -> dict[Connection, list[Cycle]]:
    """Group request-log rows (in time order) into cycles per connection."""
    out: dict[Connection, list[Cycle]] = {}
    for row in rows:
        conn = Connection(row.token_name, family(row.user_agent))
        cycles = out.setdefault(conn, [])
        if not cycles or row.at - cycles[-1].end > gap:
            cycles.append(Cycle(row.at, row.at, row.id, row.id))
        cycles[-1].add(row)
    return out


_COLUMNS = (RequestLog.id, RequestLog.at, RequestLog.token_name, RequestLog.user_agent,
            RequestLog.method, RequestLog.resource_type, RequestLog.status, RequestLog.path)


def load(since: datetime, until: datetime, gap: timedelta) -> dict[Connection, list[Cycle]]:
    """Cycles of every connection with requests in [since, until], read in one pass.

    A cycle running across `since` is cut there; the history window is hours longer
    than a cycle, so only the oldest one shown can be partial.
    """
    stmt = (select(*_COLUMNS).where(RequestLog.at >= since, RequestLog.at <= until)
            .order_by(RequestLog.at, RequestLog.id).execution_options(yield_per=2000))
    return split(db.session.execute(stmt), gap)
