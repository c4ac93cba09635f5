"""Poll delivery (RFC 8936): the receiver fetches SETs and acknowledges them.

A poll first applies the request's `ack` (delivered) and `setErrs` (rejected, kept in the
delivery log with the receiver's error), then returns up to `maxEvents` pending SETs in
position order. A SET stays pending until acknowledged, so an unacknowledged one comes
back in the next poll (at least once). With `returnImmediately` false and nothing pending,
the poll waits up to `wait` seconds for an event (long polling, RFC 8936 §2.4).
"""

import hmac
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy import update

from models import Event
from models import EventDelivery
from models import EventSubscription
from models import db
from models import utcnow
from scim.errors import InvalidValue
from services import tx
from services.events import formats
from services.events import sequencer
from services.events.subscriptions import token_hash

DEFAULT_MAX = 100
LIMIT = 1000


@dataclass(frozen=True)
class PollRequest:
    ack: list
    errors: dict
    max_events: int
    return_immediately: bool


def parse(body) -> PollRequest:
    """The poll request (RFC 8936 §2.4); :raise InvalidValue: on a malformed one."""
    if not isinstance(body, dict):
        raise InvalidValue("the poll request must be a JSON object")
    ack, errors = body.get("ack", []), body.get("setErrs", {})
    max_events = body.get("maxEvents", DEFAULT_MAX)
    immediately = body.get("returnImmediately", False)
    if not isinstance(ack, list) or not all(isinstance(a, str) for a in ack):
        raise InvalidValue("ack must be a list of jti strings")
    if not isinstance(errors, dict) or not all(isinstance(v, dict) for v in errors.values()):
        raise InvalidValue("setErrs must map each jti to {err, description}")
    if isinstance(max_events, bool) or not isinstance(max_events, int) or max_events < 0:
        raise InvalidValue("maxEvents must be a non-negative integer")
    if not isinstance(immediately, bool):
        raise InvalidValue("returnImmediately must be true or false")
    return PollRequest(ack, errors, min(max_events, LIMIT), immediately)


def authenticate(subscription_id: str, bearer: str | None) -> EventSubscription | None:
    """The poll subscription this bearer token opens, or None."""
    sub = db.session.get(EventSubscription, subscription_id)
    if sub is None or sub.method != "poll" or not bearer or not sub.poll_token_hash:
        return None
    if not hmac.compare_digest(sub.poll_token_hash, token_hash(bearer)):
        return None
    return sub


def poll(sub: EventSubscription, request: PollRequest, options: formats.Options,
         wait: float = 10.0) -> dict:
    """Apply acknowledgements, then return {"sets": {jti: jws}, "moreAvailable": bool}."""
    _acknowledge(sub.id, request)
    deadline = time.monotonic() + (0 if request.return_immediately else wait)
    while True:
        sequencer.sequence(db.engine)
        db.session.rollback()  # a fresh snapshot, with what the sequencer just queued
        rows = _pending(sub.id, request.max_events + 1) if request.max_events else []
        if rows or sub.paused or time.monotonic() >= deadline or not request.max_events:
            break
        time.sleep(0.2)
    if sub.paused:
        rows = []
    shown = rows[:request.max_events]
    sets = {event.event_id: formats.jws(event, sub, options) for _, event in shown}
    _mark_sent([d.id for d, _ in shown])
    return {"sets": sets, "moreAvailable": len(rows) > request.max_events}


def _pending(subscription_id: str, limit: int) -> list:
    return list(db.session.execute(
        select(EventDelivery, Event).join(Event, Event.event_id == EventDelivery.event_id)
        .where(EventDelivery.subscription_id == subscription_id,
               EventDelivery.status == "pending")
        .order_by(EventDelivery.position).limit(limit)).all())


def _acknowledge(subscription_id: str, request: PollRequest) -> None:
    if not request.ack and not request.errors:
        return
    table = EventDelivery.__table__
    now = utcnow()
    with tx.write() as session:
        if request.ack:
            session.execute(update(table).where(
                table.c.subscription_id == subscription_id, table.c.status == "pending",
                table.c.event_id.in_(request.ack)).values(status="delivered", delivered_at=now))
        for jti, error in request.errors.items():
            text = f"{error.get('err', '')}: {error.get('description', '')}"[:500]
            session.execute(update(table).where(
                table.c.subscription_id == subscription_id, table.c.status == "pending",
                table.c.event_id == jti).values(status="rejected", last_error=text,
                                                delivered_at=now))


def _mark_sent(ids: list[int]) -> None:
    if not ids:
        return
    table = EventDelivery.__table__
    with tx.write() as session:
        session.execute(update(table).where(table.c.id.in_(ids)).values(
            attempts=table.c.attempts + 1, last_attempt_at=utcnow()))
