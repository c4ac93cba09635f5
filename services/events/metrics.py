"""Event delivery state for /metrics (services/ops/metrics.py reads it at scrape time)."""

from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func
from sqlalchemy import select

from models import EventDelivery
from models import EventSubscription
from models import db
from models import utcnow
from services.events import subscriptions


def families() -> list:
    """Per subscription: events waiting, age of the oldest, parked or rejected (alert on it)."""
    waiting = GaugeMetricFamily("rollcall_events_waiting", "Events waiting to be delivered",
                                labels=["subscription"])
    oldest = GaugeMetricFamily("rollcall_events_oldest_waiting_seconds",
                               "Age of the oldest event waiting", labels=["subscription"])
    failed = GaugeMetricFamily("rollcall_events_undeliverable",
                               "Events parked (too old to retry) or rejected by the receiver",
                               labels=["subscription"])
    rows = db.session.execute(
        select(EventSubscription.id, EventDelivery.status, func.count(),
               func.min(EventDelivery.created_at))
        .join(EventDelivery, EventDelivery.subscription_id == EventSubscription.id)
        .group_by(EventSubscription.id, EventDelivery.status)).all()
    counts: dict = {sub.id: {} for sub in subscriptions.all_subscriptions()}
    for sub_id, status, count, first in rows:
        counts.setdefault(sub_id, {})[status] = (count, first)
    now = utcnow()
    for sub_id, by_status in counts.items():
        count, first = by_status.get("pending", (0, None))
        waiting.add_metric([sub_id], count)
        oldest.add_metric([sub_id], (now - first).total_seconds() if first else 0)
        failed.add_metric([sub_id], sum(by_status.get(s, (0, None))[0]
                                        for s in ("parked", "rejected")))
    unsequenced = GaugeMetricFamily("rollcall_events_unnumbered",
                                    "Committed events not yet given a position")
    unsequenced.add_metric([], subscriptions.unsequenced())
    return [waiting, oldest, failed, unsequenced]
