"""What the dashboard shows: token health, the last SCIM request and change, counts."""

import math
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta

from flask import current_app
from sqlalchemy import Integer
from sqlalchemy import and_
from sqlalchemy import case
from sqlalchemy import func
from sqlalchemy import select

from models import ApiToken
from models import ChangeRecord
from models import Group
from models import RequestLog
from models import User
from models import db
from models import utcnow
from services.audit import query as audit_query
from services.audit import requestlog
from services.ops import config as ops_config
from services.ops import tokens as ops_tokens

# Entra runs an incremental cycle about every 40 minutes.
CYCLE = timedelta(minutes=40)
DAY = timedelta(hours=24)


@dataclass(frozen=True)
class TokenHealth:
    active: int
    nearest_expiry: datetime | None
    state: str  # "ok", "warning" (expires within 14 days) or "danger" (no valid token)
    warnings: list = field(default_factory=list)

    @property
    def days_left(self) -> int | None:
        if self.nearest_expiry is None:
            return None
        return max(0, math.ceil((self.nearest_expiry - utcnow()).total_seconds() / 86400))


@dataclass(frozen=True)
class Traffic:
    requests: int
    errors: int
    since: datetime | None = None  # the start of the period, for links to the request log


@dataclass(frozen=True)
class Summary:
    tokens: TokenHealth
    last_request: RequestLog | None
    last_change: ChangeRecord | None
    users: dict
    groups: int
    cycle: Traffic
    day: Traffic


def summary() -> Summary:
    """Everything on the dashboard, in a handful of aggregate queries."""
    flush_request_log()
    now = utcnow()
    return Summary(
        tokens=token_health(now),
        last_request=audit_query.last_request(),
        last_change=audit_query.last_change(),
        users=user_counts(),
        groups=db.session.execute(select(func.count()).select_from(Group)).scalar(),
        cycle=traffic(now - CYCLE),
        day=traffic(now - DAY),
    )


def flush_request_log() -> None:
    """Wait for queued request-log rows, then read afresh.

    The rows commit on the writer's own connection. A read transaction this request began
    earlier (loading the signed-in admin) would keep SQLite's older WAL snapshot, so end it.
    """
    requestlog.writer_for(current_app).flush()
    db.session.rollback()


def token_health(now: datetime) -> TokenHealth:
    """Red with no valid token or a token in use within 3 days of expiry; amber within 14.

    The state follows the tokens clients actually use
    (services/ops/tokens.py); `nearest_expiry` still names the first valid one to go.
    """
    valid = and_(ApiToken.revoked_at.is_(None), ApiToken.expires_at > now)
    active, nearest = db.session.execute(
        select(func.count(), func.min(ApiToken.expires_at)).where(valid)).one()
    truth = ops_tokens.truth(now, ops_config.from_mapping(current_app.config))
    return TokenHealth(active, nearest, truth.state, truth.warnings)


def token_in_use() -> str | None:
    """The valid token Entra used last (else any client's); never a revoked or expired one."""
    flush_request_log()
    now = utcnow()
    truth = ops_tokens.truth(now, ops_config.from_mapping(current_app.config))
    ranked = sorted(truth.in_use, key=lambda v: ("Microsoft Entra" in v.families, v.last_used),
                    reverse=True)
    return ranked[0].name if ranked else None


def user_counts() -> dict:
    """Visible users by state, and users hidden by a soft DELETE, in one query."""
    visible = User.hidden.is_(False)
    inactive = and_(visible, User.active.is_(False), User.seat_waiting.is_(False))
    row = db.session.execute(select(
        _count(and_(visible, User.active.is_(True))).label("active"),
        _count(inactive).label("inactive"),
        _count(and_(visible, User.seat_waiting.is_(True))).label("waiting"),
        _count(User.hidden.is_(True)).label("hidden"),
    )).one()
    return {key: value or 0 for key, value in row._mapping.items()}


def traffic(since: datetime) -> Traffic:
    requests, errors = db.session.execute(
        select(func.count(), _count(RequestLog.status >= 400)).where(RequestLog.at >= since)
    ).one()
    return Traffic(requests or 0, errors or 0, since)


def _count(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0).cast(Integer)
