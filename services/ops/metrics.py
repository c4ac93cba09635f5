"""Prometheus metrics for /metrics, through prometheus_client.

Request counts and latencies are counted where the requests are served. Under gunicorn
every worker has its own memory, so a per-process counter would answer for one worker
at a time; with PROMETHEUS_MULTIPROC_DIR set (gunicorn.conf.py sets it), prometheus_client's
multiprocess mode keeps them in files that a scrape sums over all workers. Counting from
the request log instead would cost a scan of millions of rows per scrape and lag behind
its writer; the multiprocess files are exact and cheap. Everything that is database
state (users, groups, tokens, cycles) is read at scrape time, cached for a few seconds,
and is the same whichever worker answers. Request counts, users, groups and token expiry
carry a `directory` label (its slug).
"""

import os
import threading
import time
from collections.abc import Callable
from datetime import datetime

from prometheus_client import CollectorRegistry
from prometheus_client import Counter
from prometheus_client import Gauge
from prometheus_client import Histogram
from prometheus_client import generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import func
from sqlalchemy import select

from models import ApiToken
from models import Group
from models import db
from models.scoping import ALL_DIRECTORIES
from services import directories
from services.audit import requestlog
from services.context import current_directory_id
from services.context import in_directory
from services.events import metrics as event_metrics
from services.ops import clients

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
CACHE_SECONDS = 10.0
RESOURCES = ("User", "Group", "Bulk", "Schemas", "ResourceTypes", "ServiceProviderConfig")
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter("rollcall_scim_requests", "SCIM requests served",
                   ["method", "resource", "status_class", "client", "directory"], registry=None)
LATENCY = Histogram("rollcall_scim_request_duration_seconds", "SCIM request latency",
                    ["method", "resource"], buckets=BUCKETS, registry=None)
QUEUE = Gauge("rollcall_request_log_queue_depth", "Request-log rows waiting to be written",
              multiprocess_mode="livesum", registry=None)


def observe(method: str, resource: str | None, status: int, user_agent: str | None,
            seconds: float, queue_depth: int) -> None:
    """Count one SCIM request (called after each response)."""
    resource = resource if resource in RESOURCES else "other"
    method = method if method in ("GET", "POST", "PUT", "PATCH", "DELETE") else "other"
    REQUESTS.labels(method, resource, f"{status // 100}xx", clients.family(user_agent),
                    directories.slug_of(current_directory_id())).inc()
    LATENCY.labels(method, resource).observe(seconds)
    QUEUE.set(queue_depth)


def multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def render(now: datetime, user_counts: Callable[[], dict], in_use_days: int) -> bytes:
    """The exposition text: process counters (summed over workers) and database state."""
    registry = CollectorRegistry()
    if multiprocess():
        MultiProcessCollector(registry)
    else:
        for metric in (REQUESTS, LATENCY, QUEUE):
            registry.register(metric)
    registry.register(_StateCollector(_state(now, user_counts, in_use_days)))
    return generate_latest(registry)


class _StateCollector:
    def __init__(self, families):
        self.families = families

    def collect(self):
        return self.families


_cache: dict = {"at": 0.0, "families": None}
_cache_lock = threading.Lock()


def _state(now: datetime, user_counts: Callable[[], dict], in_use_days: int) -> list:
    with _cache_lock:
        if _cache["families"] is None or time.monotonic() - _cache["at"] > CACHE_SECONDS:
            _cache["families"] = _read_state(now, user_counts, in_use_days)
            _cache["at"] = time.monotonic()
        return _cache["families"]


def forget() -> None:
    _cache["families"] = None


def _read_state(now: datetime, user_counts: Callable[[], dict], in_use_days: int) -> list:
    """`user_counts` counts the current directory's users; it is asked once per directory."""
    users = GaugeMetricFamily("rollcall_users", "Users by state",
                              labels=["directory", "state"])
    groups = GaugeMetricFamily("rollcall_groups", "Groups", labels=["directory"])
    slugs = {}
    for found in directories.all():
        slugs[found.id] = found.slug
        with in_directory(found.id):
            for state, count in user_counts().items():
                users.add_metric([found.slug, state], count)
            groups.add_metric([found.slug], db.session.execute(
                select(func.count()).select_from(Group)).scalar())
    expiry = GaugeMetricFamily("rollcall_token_expiry_days",
                               "Days until each valid token expires", labels=["token", "directory"])
    valid = select(ApiToken).where(ApiToken.revoked_at.is_(None)).order_by(ApiToken.name)
    for token in db.session.execute(valid.execution_options(**ALL_DIRECTORIES)).scalars():
        remaining = (token.expires_at - now).total_seconds() / 86400
        expiry.add_metric([token.name, slugs.get(token.directory_id, "")], round(remaining, 3))
    since = GaugeMetricFamily("rollcall_seconds_since_last_cycle",
                              "Seconds since the end of the last cycle (its last request) of each "
                              "connection (token and client family)", labels=["token", "client"])
    for c in clients.seen(now):
        if c.token_name is not None:
            since.add_metric([c.token_name, c.family], (now - c.last_seen).total_seconds())
    out = [users, groups, expiry, since, *event_metrics.families()]
    lost = GaugeMetricFamily("rollcall_request_log_lost_rows",
                             "Request-log rows that could be neither written nor spooled")
    lost.add_metric([], requestlog.lost_count())
    out.append(lost)
    return out
