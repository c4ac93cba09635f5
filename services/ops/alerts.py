"""Alerts: each condition fires once, is delivered, and says when it clears.

A condition has a key ("token-expiry:entra-prod:7"). When a check finds a condition
with no open alert of that key, an alert opens and a "fired" message goes to every
enabled channel; when an open alert's condition is no longer found, it closes with a
"cleared" message. The checks (`run`) need no request: the scheduler thread and
`flask --app app alerts run` call them (docs/operations-health.md).
"""

from dataclasses import dataclass
from dataclasses import replace
from datetime import datetime
from datetime import timedelta
from urllib.parse import urlencode

from sqlalchemy import select

from models import OpsAlert
from models import db
from services import directories
from services import tx
from services.audit import chain as audit_chain
from services.audit import requestlog
from services.audit import verify as audit_verify
from services.context import in_directory
from services.events import subscriptions as event_subscriptions
from services.ops import board as board_service
from services.ops import delivery
from services.ops.config import OpsConfig

EXPIRY_STEPS = (14, 7, 1)
# What a "cleared" message says, per kind of alert.
CLEARED = {
    "token-expiry": "The token is no longer in use: rotated, revoked or unused for a week.",
    "cycle-overdue": "Requests from this client arrive again.",
    "failure-ratio": "The client's last cycle is below the failure threshold.",
    "unauthorized": "The client's last cycle had no refused request.",
    "chain": "The audit chain verifies again.",
    "request-log": "No request-log rows are reported lost.",
    "events-undeliverable": "No event to this subscription is parked or rejected any more.",
    "events-lagging": "The subscription's events are delivered again.",
    "events-unnumbered": "A delivery worker numbers the change events again.",
}
VERIFY_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class Condition:
    key: str
    kind: str
    severity: str
    subject: str
    message: str
    link: str | None = None


@dataclass
class RunResult:
    fired: list
    cleared: list
    sent: int
    verified: bool


def conditions(boards: list, config: OpsConfig, lost_rows: int | None,
               events: event_subscriptions.Health | None = None) -> list[Condition]:
    """Every alerting condition true at the boards' time.

    `boards`: (directory, its board) for every directory, the default one first; the
    audit chain is one for them all.
    """
    out = []
    for directory, board in boards:
        out += _in_directory(directory, _board_conditions(board, config))
    board = boards[0][1]
    if board.verify_failed:
        problem = next(c["state"].verify_message for c in board.chains
                       if c["state"] is not None and c["state"].verify_ok is False)
        out.append(Condition("chain-verify", "chain", "critical",
                             "Audit chain verification failed",
                             f"The audit chain does not verify: {problem}.",
                             config.base_url + "/admin/audit/chain"))
    if lost_rows:
        out.append(Condition("request-log-lost", "request-log", "warning",
                             f"{lost_rows} request-log rows lost",
                             f"{lost_rows} request-log rows could not be written.",
                             config.base_url + "/admin/audit/"))
    if events is not None:
        out += _outbox_conditions(events, config)
    return out


def _board_conditions(board, config: OpsConfig) -> list[Condition]:
    out = _token_conditions(board, config)
    for h in board.connections:
        out += _connection_conditions(h, board, config)
    return out


def _in_directory(directory, found: list[Condition]) -> list[Condition]:
    """Outside the default directory, a condition names its directory and links into it.

    Keys stay as they are: they name tokens, and token names are unique across directories.
    """
    if directory.id == directories.DEFAULT_ID:
        return found
    query = "?" + urlencode({"directory": directory.slug})
    return [replace(c, subject=f"{directory.name}: {c.subject}",
                    link=c.link and c.link + query) for c in found]


def boards(now: datetime, config: OpsConfig) -> list:
    """Each directory's board (tokens, connections, cycles), read within that directory."""
    out = []
    for directory in directories.all():
        with in_directory(directory.id):
            out.append((directory, board_service.snapshot(now, config,
                                                          board_service.RECENT_HOURS)))
    return out


def _outbox_conditions(events, config: OpsConfig) -> list[Condition]:
    out = []
    for sub, lag in events.lags:
        out += _event_conditions(sub, lag, config)
    age = events.unnumbered_age
    if events.lags and age and age > config.events_lag_minutes * 60:
        out.append(Condition(
            "events-unnumbered", "events-unnumbered", "critical",
            f"{events.unnumbered} change event(s) wait for the delivery worker",
            f"{events.unnumbered} change event(s), the oldest {int(age // 60)} minutes old, "
            "have not been numbered for delivery: no delivery worker is running "
            "(EVENTS_DELIVERY_THREAD=0 needs `flask --app app events deliver`).",
            config.base_url + "/admin/events"))
    return out


def _event_conditions(sub, lag: dict, config: OpsConfig) -> list[Condition]:
    """A receiver that lost events (parked or rejected), or one falling behind."""
    out, name = [], sub.name or sub.url
    link = f"{config.base_url}/admin/events/{sub.id}"
    stuck = lag["parked"] + lag["rejected"]
    if stuck:
        out.append(Condition(
            f"events-undeliverable:{sub.id}", "events-undeliverable", "critical",
            f"{stuck} event(s) for {name} undeliverable",
            f"{lag['parked']} event(s) for {name} were parked (too old to retry) and "
            f"{lag['rejected']} rejected by the receiver: it is missing those changes. Fix "
            "the receiver, then redeliver them or replay from its subscription page.", link))
    age = lag["oldest_age"]
    if age and not sub.paused and age > config.events_lag_minutes * 60:
        out.append(Condition(
            f"events-lagging:{sub.id}", "events-lagging", "warning",
            f"Events for {name} wait {int(age // 60)} minutes",
            f"{lag['waiting']} event(s) for {name} wait to be delivered, the oldest for "
            f"{int(age // 60)} minutes: the receiver is down or refusing them.", link))
    return out


def _token_conditions(board, config: OpsConfig) -> list[Condition]:
    out = []
    for v in board.tokens.in_use:
        for step in EXPIRY_STEPS:
            if v.days_left <= step:
                who = ", ".join(v.families) or "a client"
                out.append(Condition(
                    f"token-expiry:{v.name}:{step}", "token-expiry",
                    "critical" if step == 1 else "warning",
                    f"Token {v.name} expires within {step} day{'' if step == 1 else 's'}",
                    f"Token {v.name}, used by {who}, expires {v.token.expires_at:%Y-%m-%d %H:%M} "
                    "UTC. Rotate it and paste the new token into the client before then, or "
                    "Entra quarantines the job.", config.base_url + "/admin/tokens"))
    return out


def _connection_conditions(h, board, config: OpsConfig) -> list[Condition]:
    conn, link = h.connection, config.base_url + "/admin/health/"
    out = []
    token = board.tokens.view(conn.token_name) if conn.token_name else None
    silence = h.since_last(board.now)
    if token is not None and token.in_use and silence > config.overdue:
        out.append(Condition(f"cycle-overdue:{conn.key}", "cycle-overdue", "warning",
                             f"No provisioning cycle from {conn.label} for "
                             f"{int(silence.total_seconds() // 60)} minutes",
                             "; ".join(h.reasons), link))
    last = h.last_cycle
    if last is None:
        return out
    # Refusals have their own alert; this one is about requests that got through and failed.
    events = last.requests - last.reference_requests
    failed = last.counted_failures - last.refused
    if failed and events and failed / events >= config.alert_failure_ratio:
        out.append(Condition(f"failure-ratio:{conn.key}", "failure-ratio", "warning",
                             f"{failed / events:.0%} of {conn.label}'s last cycle failed",
                             f"In the cycle of {last.start:%Y-%m-%d %H:%M} UTC: "
                             + " ".join(h.reasons), link))
    if last.refused >= config.alert_unauthorized:
        out.append(Condition(f"unauthorized:{conn.key}", "unauthorized", "critical",
                             f"{conn.label}: {last.refused} request(s) refused with 401/403",
                             " ".join(h.reasons), link))
    return out


def evaluate(found: list[Condition], now: datetime) -> tuple[list, list]:
    """Open alerts for new conditions, close those whose condition is gone; queue messages."""
    with tx.write() as session:
        open_ = {a.key: a for a in session.execute(
            select(OpsAlert).where(OpsAlert.cleared_at.is_(None))).scalars()}
        keys = {c.key for c in found}
        fired, cleared = [], []
        for c in found:
            if c.key not in open_:
                alert = OpsAlert(key=c.key, kind=c.kind, severity=c.severity, subject=c.subject,
                                 message=c.message, link=c.link, fired_at=now)
                session.add(alert)
                session.flush()
                delivery.queue(session, alert, "fired", now)
                fired.append(alert.key)
        for key, alert in open_.items():
            if key not in keys:
                alert.cleared_at = now
                alert.clear_message = CLEARED.get(alert.kind, "The condition no longer holds.")
                delivery.queue(session, alert, "cleared", now)
                cleared.append(key)
    return fired, cleared


def run(now: datetime, config: OpsConfig, engine, verify: bool | None = None) -> RunResult:
    """Verify the chains when due, check every condition, deliver what is due."""
    verified = _verify_if_due(engine, now) if verify is None else (
        verify and verify_chains(engine))
    db.session.rollback()  # read the verify's result afresh
    found = conditions(boards(now, config), config, requestlog.lost_count(),
                       event_subscriptions.health())
    fired, cleared = evaluate(found, now)
    sent = delivery.deliver_due(now)
    return RunResult(fired, cleared, sent, verified)


def verify_chains(engine) -> bool:
    """Verify the audit chains and store the result (shown on the dashboard and audit pages)."""
    problems = audit_verify.verify(engine)
    audit_chain.record_verify(engine, problems)
    return True


def _verify_if_due(engine, now: datetime) -> bool:
    states = [c["state"] for c in audit_chain.status(db.session)]
    last = min((s.verified_at for s in states if s is not None and s.verified_at),
               default=None)
    if last is not None and now - last < VERIFY_EVERY:
        return False
    return verify_chains(engine)


def recent(limit: int = 50) -> list[OpsAlert]:
    stmt = select(OpsAlert).order_by(OpsAlert.fired_at.desc(), OpsAlert.id.desc()).limit(limit)
    return list(db.session.execute(stmt).scalars())
