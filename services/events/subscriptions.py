"""Subscriptions: create (the secret or poll token shown once), pause, resume, delete, replay.

Every change here is a change record (resource type "EventSubscription"); none is an event.
"""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_
from sqlalchemy import delete as sql_delete
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update

from models import Event
from models import EventDelivery
from models import EventSubscription
from models import db
from models import utcnow
from scim.errors import InvalidValue
from scim.errors import NotFound
from services import audit
from services import events
from services import outbound
from services import tx
from services.audit import Target
from services.events import sequencer
from services.events import signing

FORMATS = ("standard-webhooks", "set")
METHODS = ("push", "poll")
POLL_PREFIX = "rcpoll_"
KIND = "EventSubscription"


def subscribe(actor, secret_key: str, fmt: str, url: str | None = None, method: str = "push",
              event_filter: str | None = None, name: str | None = None):
    """Create a subscription; returns (subscription, secret shown once or None).

    The secret is the webhook signing secret (Standard Webhooks) or, for poll delivery,
    the poll bearer token. Events from now on are delivered; older ones by `replay`.
    :raise InvalidValue: for an unknown format or method, a bad URL or filter.
    """
    _check(fmt, method, url)
    patterns = parse_filter(event_filter)
    sub = EventSubscription(id=str(uuid.uuid4()), name=name, method=method,
                            url=url if method == "push" else None, format=fmt,
                            event_filter=",".join(patterns) or None, paused=False,
                            created_by=actor.label)
    secret = None
    if method == "poll":
        secret = POLL_PREFIX + secrets.token_urlsafe(32)
        sub.poll_token_hash = token_hash(secret)
    elif fmt == "standard-webhooks":
        secret = signing.new_webhook_secret()
        sub.secret_encrypted = signing.encrypt(secret_key, secret)
    with tx.write() as session:
        sub.start_position = sequencer.head(session.connection())
        session.add(sub)
        audit_change(session, actor, "events.subscribe", sub,
               {"url": [None, sub.url], "format": [None, fmt], "method": [None, method],
                "events": [None, sub.event_filter]})
        tx.keep_loaded(session, sub)
    return sub, secret


def _check(fmt: str, method: str, url: str | None) -> None:
    if fmt not in FORMATS:
        raise InvalidValue(f"format must be one of {', '.join(FORMATS)}")
    if method not in METHODS:
        raise InvalidValue(f"method must be one of {', '.join(METHODS)}")
    if method == "poll" and fmt != "set":
        raise InvalidValue("poll delivery (RFC 8936) carries SETs: use format set")
    if method == "push":
        try:
            outbound.check(url or "", resolve=False)
        except outbound.Refused as refused:
            raise InvalidValue(str(refused)) from None


def parse_filter(text: str | None) -> list[str]:
    """"User, group.delete, deactivate" -> ["user.*", "group.delete", "*.deactivate"]."""
    out = []
    for item in (text or "").split(","):
        item = item.strip().lower()
        if not item:
            continue
        if "." not in item:
            item = f"{item}.*" if _is_resource(item) else f"*.{item}"
        resource, _, event = item.partition(".")
        if not (resource == "*" or _is_resource(resource)) or \
                not (event == "*" or event in events.EVENT_TYPES):
            raise InvalidValue(f"unknown event {item!r}: use <resource>.<event> with resource "
                               f"in {', '.join(events.RESOURCE_TYPES)} and event in "
                               f"{', '.join(events.EVENT_TYPES)}, or * for either")
        out.append(item)
    return out


def _is_resource(name: str) -> bool:
    return name in {r.lower() for r in events.RESOURCE_TYPES}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def all_subscriptions() -> list[EventSubscription]:
    return list(db.session.execute(
        select(EventSubscription).order_by(EventSubscription.created_at)).scalars())


def get(subscription_id: str) -> EventSubscription:
    sub = db.session.get(EventSubscription, subscription_id)
    if sub is None:
        raise NotFound(f"no subscription {subscription_id}")
    return sub


def set_paused(subscription_id: str, paused: bool, actor) -> None:
    """Pause (events queue up, nothing is sent) or resume (the queue drains in order)."""
    with tx.write() as session:
        sub = _locked(session, subscription_id)
        if sub.paused != paused:
            sub.paused, sub.retry_at = paused, None
            audit_change(session, actor, "events.pause" if paused else "events.resume", sub,
                   {"paused": [not paused, paused]})


def delete(subscription_id: str, actor) -> None:
    with tx.write() as session:
        sub = _locked(session, subscription_id)
        audit_change(session, actor, "events.unsubscribe", sub,
               {"url": [sub.url, None], "format": [sub.format, None]})
        session.execute(sql_delete(EventDelivery).where(EventDelivery.subscription_id == sub.id))
        session.delete(sub)


def replay(subscription_id: str, actor, position: int | None = None,
           since: datetime | None = None) -> int:
    """Queue again every matching event from a position (or a time) on; returns how many.

    Deliveries already pending stay as they are; the others are queued anew, so the
    receiver sees them again (it deduplicates by event id).
    """
    sequencer.sequence(db.engine)
    with tx.write() as session:
        sub = _locked(session, subscription_id)
        chosen = _events_from(session, sub, position, since)
        pending = set(session.execute(select(EventDelivery.position).where(
            EventDelivery.subscription_id == sub.id, EventDelivery.status == "pending")).scalars())
        rows = [_queued(sub.id, e) for e in chosen if e.position not in pending]
        if rows:
            session.execute(insert(EventDelivery.__table__), rows)
        audit_change(session, actor, "events.replay", sub,
               {"replay": [None, {"from_position": position,
                                  "since": since.isoformat() if since else None,
                                  "queued": len(rows)}]})
    return len(rows)


def _events_from(session, sub, position, since) -> list:
    stmt = select(Event.position, Event.event_id, Event.resource_type, Event.resource_id,
                  Event.event_type, Event.at).where(Event.position.is_not(None))
    if position is not None:
        stmt = stmt.where(Event.position >= position)
    if since is not None:
        stmt = stmt.where(Event.at >= since)
    rows = session.execute(stmt.order_by(Event.position)).all()
    return [r for r in rows if sequencer.matches(sub, r.resource_type, r.event_type)]


def _queued(subscription_id: str, event) -> dict:
    return {"subscription_id": subscription_id, "position": event.position,
            "event_id": event.event_id,
            "resource_key": f"{event.resource_type}:{event.resource_id}",
            "status": "pending", "attempts": 0, "created_at": utcnow(), "next_at": utcnow()}


def redeliver(subscription_id: str, delivery_id: int, actor) -> None:
    """Send one event again: its delivery goes back to pending, due now."""
    with tx.write() as session:
        sub = _locked(session, subscription_id)
        row = session.get(EventDelivery, delivery_id)
        if row is None or row.subscription_id != sub.id:
            raise NotFound(f"no delivery {delivery_id} for this subscription")
        audit_change(session, actor, "events.redeliver", sub,
               {"redeliver": [row.status, {"event": row.event_id, "position": row.position}]})
        row.status, row.next_at, row.created_at = "pending", utcnow(), utcnow()
        sub.retry_at = None


def audit_change(session, actor, action: str, sub, changes: dict | None) -> None:
    """The change record of a subscription change (never an event: services/events)."""
    target = Target(KIND, sub.id, sub.name or sub.url) if sub else Target(KIND)
    audit.record(session, actor, action, target, changes)


def _locked(session, subscription_id: str) -> EventSubscription:
    stmt = select(EventSubscription).where(EventSubscription.id == subscription_id)
    return tx.locked_one(session, stmt, f"no subscription {subscription_id}")


def lag(subscription_id: str) -> dict:
    """Events waiting (and the age of the oldest), parked and delivered counts."""
    rows = db.session.execute(
        select(EventDelivery.status, func.count(), func.min(EventDelivery.created_at))
        .where(EventDelivery.subscription_id == subscription_id)
        .group_by(EventDelivery.status)).all()
    counts = {status: (count, oldest) for status, count, oldest in rows}
    waiting, oldest = counts.get("pending", (0, None))
    age = (utcnow() - oldest).total_seconds() if oldest else None
    return {"waiting": waiting, "oldest_age": age,
            "parked": counts.get("parked", (0, None))[0],
            "rejected": counts.get("rejected", (0, None))[0],
            "delivered": counts.get("delivered", (0, None))[0]}


def overview() -> list[tuple]:
    """Every subscription with its lag, after numbering what has committed."""
    sequencer.sequence(db.engine)
    return [(sub, lag(sub.id)) for sub in all_subscriptions()]


@dataclass(frozen=True)
class Health:
    """What services/ops/alerts.py alerts on: each subscription's lag, and events that
    no worker has numbered yet (`unnumbered_age`: seconds since the oldest, or None)."""

    lags: list
    unnumbered: int
    unnumbered_age: float | None


def health() -> Health:
    count, oldest = db.session.execute(select(func.count(), func.min(Event.at))
                                       .where(Event.position.is_(None))).one()
    age = (utcnow() - oldest).total_seconds() if oldest else None
    return Health([(sub, lag(sub.id)) for sub in all_subscriptions()], count, age)


def unsequenced() -> int:
    return db.session.execute(select(func.count()).select_from(Event)
                              .where(Event.position.is_(None))).scalar()


def delivery_log(subscription_id: str, limit: int = 100) -> list:
    """The latest deliveries, newest first, with their event."""
    stmt = (select(EventDelivery, Event)
            .join(Event, and_(Event.event_id == EventDelivery.event_id))
            .where(EventDelivery.subscription_id == subscription_id)
            .order_by(EventDelivery.id.desc()).limit(limit))
    return list(db.session.execute(stmt).all())


def clear_retry(subscription_id: str) -> None:
    with tx.write() as session:
        session.execute(update(EventSubscription).where(EventSubscription.id == subscription_id)
                        .values(retry_at=None))
