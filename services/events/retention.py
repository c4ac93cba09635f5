"""Pruning: events and delivery-log rows older than a number of days, never what is pending.

The newest event is always kept: positions continue from the highest one present.
"""

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy import exists
from sqlalchemy import func
from sqlalchemy import select

from models import Event
from models import EventDelivery
from models import utcnow
from services import tx
from services.events import subscriptions


def prune(days: int, actor) -> dict:
    """Delete finished deliveries and fully delivered events older than `days`."""
    cutoff = utcnow() - timedelta(days=days)
    with tx.write() as session:
        deliveries = session.execute(delete(EventDelivery).where(
            EventDelivery.status != "pending", EventDelivery.created_at < cutoff)).rowcount
        newest = session.execute(select(func.max(Event.position))).scalar() or 0
        waiting = exists().where(EventDelivery.event_id == Event.event_id,
                                 EventDelivery.status == "pending")
        events = session.execute(delete(Event).where(
            Event.at < cutoff, Event.position.is_not(None), Event.position < newest,
            ~waiting).execution_options(synchronize_session=False)).rowcount
        subscriptions.audit_change(session, actor, "events.prune", None,
                             {"prune": [None, {"days": days, "events": events,
                                               "deliveries": deliveries}]})
    return {"events": events, "deliveries": deliveries}
