"""Push delivery: at least once, in order per resource, retried with backoff, parked when too old.

One process delivers at a time: it holds the lease row until `lease_seconds` after its last
renewal; another takes over once it expires (a crash, SIGKILL, a stopped worker). Each
attempt's outcome is committed on its own, after the receiver answered: a crash between
the answer and that commit sends the event again, never loses it (receivers deduplicate by
event id, the `webhook-id` or the SET's `jti`).

Per subscription, deliveries go out in position order; a failed one holds back the later
deliveries of the same resource until it succeeds or is parked (older than `max_age`),
while other resources go on. A receiver that is down (no answer, 5xx, 429) is left alone
until its retry time, honouring Retry-After.
"""

import http.client
import logging
import os
import random
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from models import Event
from models import EventDelivery
from models import EventLease
from models import EventSubscription
from models import db
from models import utcnow
from services import outbound
from services import sealed
from services import tx
from services.events import formats
from services.events import sequencer

log = logging.getLogger(__name__)
LEASE = "delivery"


@dataclass
class Settings:
    """Delivery configuration, taken from the app config by `settings_from`."""

    formats: formats.Options
    lease_seconds: float = 30.0
    timeout: float = 10.0
    retry_base: float = 1.0
    retry_max: float = 3600.0
    max_age: float = 3 * 86400.0
    batch: int = 100
    pages: int = 20  # a pass looks this many batches deep past held-back resources
    interval: float = 0.5
    holder: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:"
                                                f"{uuid.uuid4().hex[:8]}")


def settings_from(config) -> Settings:
    return Settings(
        formats=formats.Options(secret_key=config["SECRET_KEY"],
                                issuer=config.get("EVENTS_ISSUER") or "rollcall"),
        lease_seconds=float(config.get("EVENTS_LEASE_SECONDS", 30)),
        timeout=float(config.get("EVENTS_HTTP_TIMEOUT", 10)),
        retry_base=float(config.get("EVENTS_RETRY_BASE", 1)),
        retry_max=float(config.get("EVENTS_RETRY_MAX", 3600)),
        max_age=float(config.get("EVENTS_MAX_AGE", 3 * 86400)),
        interval=float(config.get("EVENTS_POLL_INTERVAL", 0.5)))


# --- the lease -------------------------------------------------------------------------

def acquire(settings: Settings, now: datetime | None = None) -> bool:
    """Take or renew the lease; False while another live process holds it.

    A read decides first, so the idle processes and a holder with time left write nothing.
    """
    now = now or utcnow()
    db.session.rollback()
    lease = db.session.get(EventLease, LEASE, populate_existing=True)
    left = (lease.expires_at - now).total_seconds() if lease and lease.expires_at else -1
    if lease is not None and left > settings.lease_seconds / 2:
        return lease.holder == settings.holder
    if lease is not None and left > 0 and lease.holder != settings.holder:
        return False
    until = now + timedelta(seconds=settings.lease_seconds)
    leases = EventLease.__table__
    with tx.write() as session:
        taken = session.execute(update(leases).where(
            leases.c.name == LEASE,
            (leases.c.holder == settings.holder) | (leases.c.expires_at < now)
            | leases.c.expires_at.is_(None)).values(holder=settings.holder, expires_at=until))
        if taken.rowcount == 1:
            return True
        if session.get(EventLease, LEASE) is not None:
            return False
        try:
            with session.begin_nested():
                session.add(EventLease(name=LEASE, holder=settings.holder, expires_at=until))
        except IntegrityError:
            return False
    return True


def release(settings: Settings) -> None:
    leases = EventLease.__table__
    with tx.write() as session:
        session.execute(update(leases).where(leases.c.name == LEASE,
                                             leases.c.holder == settings.holder)
                        .values(expires_at=None, holder=None))


# --- one pass --------------------------------------------------------------------------

def run_pass(settings: Settings, now: datetime | None = None) -> int:
    """Sequence new events, then try each due delivery once; returns attempts made.

    The caller holds the lease. Tests pass `now` to step through retries without waiting.
    """
    sequencer.sequence(db.engine)
    db.session.rollback()  # a fresh snapshot, with what the sequencer just queued
    now = now or utcnow()
    attempts = 0
    subs = db.session.execute(select(EventSubscription).where(
        EventSubscription.method == "push", EventSubscription.paused.is_(False))).scalars()
    for sub in list(subs):
        if sub.retry_at is None or sub.retry_at <= now:
            attempts += _deliver_subscription(sub, settings, now)
    db.session.rollback()
    return attempts


def _deliver_subscription(sub: EventSubscription, settings: Settings, now: datetime) -> int:
    """Page through the pending deliveries in position order, past the held-back ones."""
    blocked: set = set()
    after, attempts = 0, 0
    for _ in range(settings.pages):
        rows = db.session.execute(
            select(EventDelivery, Event, EventDelivery.position)
            .join(Event, Event.event_id == EventDelivery.event_id)
            .where(EventDelivery.subscription_id == sub.id, EventDelivery.status == "pending",
                   EventDelivery.position > after)
            .order_by(EventDelivery.position).limit(settings.batch)).all()
        if not rows:
            break
        after = rows[-1][2]
        done, down = _deliver_page(sub, rows, blocked, settings, now)
        attempts += done
        if down:
            break
    return attempts


def _deliver_page(sub, rows, blocked: set, settings: Settings, now: datetime):
    """Try each due delivery of one page once; returns (attempts, receiver is down)."""
    attempts = 0
    for delivery, event, _ in rows:
        if delivery.resource_key in blocked:
            continue
        if (now - delivery.created_at).total_seconds() > settings.max_age:
            _park(delivery)
            continue
        if delivery.next_at > now:
            blocked.add(delivery.resource_key)
            continue
        if not acquire(settings):  # renewed before each send, so a slow one keeps it
            return attempts, True
        attempts += 1
        key = delivery.resource_key
        outcome = attempt(sub, event, settings)
        _record(sub, delivery, outcome, settings, now)
        if not outcome.ok:
            blocked.add(key)
            if outcome.receiver_down:
                return attempts, True
    return attempts, False


@dataclass
class Outcome:
    ok: bool
    status: int | None = None
    error: str | None = None
    retry_after: float | None = None
    latency_ms: int = 0

    @property
    def receiver_down(self) -> bool:
        return self.status is None or self.status >= 500 or self.status in (408, 429)


def attempt(sub: EventSubscription, event: Event, settings: Settings) -> Outcome:
    """POST one event to the receiver; any 2xx is success (RFC 8935 §2.2 answers 202)."""
    try:
        body, headers = formats.request(event, sub, settings.formats)
    except sealed.InvalidToken:  # encrypted under another SECRET_KEY (docs/events.md)
        return Outcome(False, None, "cannot decrypt the signing secret or key: was SECRET_KEY "
                                    "changed? Subscribe again, or rotate the key")
    started = time.monotonic()
    try:
        status, response_headers, text = post(sub.url, body, headers, settings.timeout)
    except (OSError, http.client.HTTPException) as error:
        return Outcome(False, None, f"{type(error).__name__}: {error}"[:500],
                       latency_ms=_ms(started))
    ok = 200 <= status < 300
    return Outcome(ok, status, None if ok else f"HTTP {status}: {text}"[:500],
                   retry_after(response_headers.get("retry-after")), _ms(started))


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def post(url: str, body: bytes, headers: dict, timeout: float) -> tuple[int, dict, str]:
    """One POST without redirects (a redirect would resend a signed event elsewhere)."""
    outbound.check(url)
    parts = urlsplit(url)
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = kind(parts.hostname, parts.port, timeout=timeout)
    try:
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn.request("POST", path, body=body, headers={**headers, "User-Agent": "Rollcall-Events"})
        response = conn.getresponse()
        text = response.read(2000).decode(errors="replace")
        return response.status, {k.lower(): v for k, v in response.getheaders()}, text
    finally:
        conn.close()


def retry_after(value: str | None) -> float | None:
    """Retry-After in seconds or as an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when.replace(tzinfo=None) - utcnow()).total_seconds())


def backoff(attempts: int, settings: Settings, hint: float | None) -> float:
    """Exponential with full jitter in its upper half, never sooner than Retry-After."""
    ceiling = min(settings.retry_max, settings.retry_base * 2 ** max(0, attempts - 1))
    delay = random.uniform(ceiling / 2, ceiling)
    return max(delay, min(hint, settings.retry_max)) if hint is not None else delay


def _record(sub, delivery: EventDelivery, outcome: Outcome, settings: Settings,
            now: datetime) -> None:
    """Commit one attempt's outcome (its own transaction: a crash loses at most this one)."""
    now = max(now, utcnow())  # a long pass must not date its backoff from its start
    values = {"attempts": delivery.attempts + 1, "last_attempt_at": now,
              "last_status": outcome.status, "last_error": outcome.error,
              "latency_ms": outcome.latency_ms}
    retry_at = None
    if outcome.ok:
        values.update(status="delivered", delivered_at=utcnow())
    else:
        wait = backoff(values["attempts"], settings, outcome.retry_after)
        values["next_at"] = now + timedelta(seconds=wait)
        retry_at = values["next_at"] if outcome.receiver_down else None
        log.warning("event %s to subscription %s failed (attempt %d, %s); next try in %.1fs",
                    delivery.event_id, sub.id, values["attempts"], outcome.error, wait)
    deliveries = EventDelivery.__table__
    subs = EventSubscription.__table__
    with tx.write() as session:
        session.execute(update(deliveries).where(deliveries.c.id == delivery.id).values(values))
        session.execute(update(subs).where(subs.c.id == sub.id).values(retry_at=retry_at))


def _park(delivery: EventDelivery) -> None:
    """Give up on a delivery older than max_age: visible and counted, and alerted on."""
    log.error("event %s to subscription %s parked as undeliverable after %d attempts",
              delivery.event_id, delivery.subscription_id, delivery.attempts)
    deliveries = EventDelivery.__table__
    with tx.write() as session:
        session.execute(update(deliveries).where(deliveries.c.id == delivery.id,
                                                 deliveries.c.status == "pending")
                        .values(status="parked"))


# --- the loop --------------------------------------------------------------------------

class Worker:
    """The delivery loop, in a thread of each gunicorn worker or in `events deliver`."""

    def __init__(self, app, settings: Settings):
        self.app, self.settings = app, settings
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> "Worker":
        self.thread = threading.Thread(target=self.run, name="rollcall-events", daemon=True)
        self.thread.start()
        return self

    def run(self) -> None:
        with self.app.app_context():
            while not self.stopping.is_set():
                busy = self.step()
                db.session.remove()
                if not busy:
                    self.stopping.wait(self.settings.interval)

    def step(self) -> bool:
        """One lease check and pass; True if it attempted something (so go on at once)."""
        try:
            return acquire(self.settings) and run_pass(self.settings) > 0
        except Exception:  # a database outage must not end the loop
            log.exception("event delivery pass failed")
            db.session.rollback()
            return False

    def stop(self, timeout: float = 5) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout)
        with self.app.app_context():
            try:
                release(self.settings)
            except Exception:
                log.exception("could not release the event delivery lease")


def start(app) -> Worker | None:
    """Start the delivery thread if the app's config wants it (EVENTS_DELIVERY_THREAD)."""
    if not app.config.get("EVENTS_DELIVERY_THREAD", True):
        return None
    worker = Worker(app, settings_from(app.config)).start()
    app.extensions["rollcall_events"] = worker
    return worker
