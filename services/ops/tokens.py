"""Token truth: each token's expiry colour, the clients that use it, and what to warn about.

The warnings follow the tokens that clients actually use: with Entra on a token that
expires in 3 days and another valid for 90, the dashboard is red, not green. A token
is "in use" when it is valid (neither revoked nor expired) and a client authenticated
with it within `in_use_days`; a revoked or expired token never is. A client still
presenting such a token shows as refused (its 401s name the token).
"""

import math
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from sqlalchemy import func
from sqlalchemy import select

from models import ApiToken
from models import RequestLog
from models import db
from services.ops import clients as clients_service
from services.ops.config import OpsConfig

AMBER_DAYS = 14
RED_DAYS = 3
SEVERITY = {"ok": 0, "muted": 0, "info": 0, "warning": 1, "danger": 2}


@dataclass
class TokenView:
    token: ApiToken
    status: str  # active, expired, revoked
    days_left: int
    colour: str  # ok, warning, danger, muted
    clients: list
    first_used: datetime | None
    last_used: datetime | None
    in_use: bool

    @property
    def name(self) -> str:
        return self.token.name

    @property
    def refused_recently(self) -> int:
        return sum(c.refused for c in self.clients)

    @property
    def families(self) -> list[str]:
        return sorted({c.label for c in self.clients if c.requests > c.refused})


@dataclass(frozen=True)
class Warning:
    severity: str
    text: str
    token: str | None = None


@dataclass
class TokenTruth:
    views: list[TokenView]
    warnings: list[Warning]

    @property
    def state(self) -> str:
        worst = max((SEVERITY[w.severity] for w in self.warnings), default=0)
        return {0: "ok", 1: "warning", 2: "danger"}[worst]

    @property
    def in_use(self) -> list[TokenView]:
        return [v for v in self.views if v.in_use]

    def view(self, name: str) -> TokenView | None:
        return next((v for v in self.views if v.name == name), None)


def days_left(expires_at: datetime, now: datetime) -> int:
    """Whole days until expiry, rounded up (0 once expired)."""
    return max(0, math.ceil((expires_at - now).total_seconds() / 86400))


def colour(status: str, days: int) -> str:
    if status == "revoked":
        return "muted"
    if status == "expired" or days <= RED_DAYS:
        return "danger"
    return "warning" if days <= AMBER_DAYS else "ok"


def truth(now: datetime, config: OpsConfig) -> TokenTruth:
    """Every token with its colour, clients and use, and the warnings that follow."""
    seen = clients_service.seen(now)
    used = _authenticated_use(now)
    views = []
    stmt = select(ApiToken).order_by(ApiToken.created_at.desc())
    for token in db.session.execute(stmt).scalars():
        status = token.status(now)
        days = days_left(token.expires_at, now)
        first, last = used.get(token.name, (None, None))
        in_use = (status == "active" and last is not None
                  and last >= now - timedelta(days=config.in_use_days))
        views.append(TokenView(token, status, days, colour(status, days),
                               [c for c in seen if c.token_name == token.name],
                               first, last, in_use))
    return TokenTruth(views, _warnings(views))


def _authenticated_use(now: datetime) -> dict:
    """First and last request per token that got past authentication (anything but 401)."""
    stmt = (select(RequestLog.token_name, func.min(RequestLog.at), func.max(RequestLog.at))
            .where(RequestLog.token_name.is_not(None), RequestLog.status != 401,
                   RequestLog.at <= now)
            .group_by(RequestLog.token_name))
    return {name: (first, last) for name, first, last in db.session.execute(stmt)}


def _warnings(views: list[TokenView]) -> list[Warning]:
    out = []
    valid = [v for v in views if v.status == "active"]
    if not valid:
        out.append(Warning("danger", "No valid token: no client can provision, and Entra "
                                     "quarantines a job whose credentials fail."))
    for v in views:
        if v.status != "active" and v.refused_recently:
            out.append(Warning("danger", f"A client still sends the {v.status} token "
                                         f"{v.name}: {v.refused_recently} request(s) refused "
                                         f"in the last 24 hours.", v.name))
    in_use = [v for v in valid if v.in_use]
    for v in in_use:
        if v.colour in ("warning", "danger"):
            out.append(Warning(v.colour, f"Expiring soon: token {v.name}, in use by "
                                         f"{', '.join(v.families) or 'a client'}, expires in "
                                         f"{v.days_left} day{'' if v.days_left == 1 else 's'}: "
                                         "rotate it and paste the new one into the client.",
                               v.name))
    if valid and not in_use:
        # Nobody provisions yet: the longest-lived valid token is the one to set up.
        best = max(valid, key=lambda v: v.token.expires_at)
        if best.colour != "ok":
            out.append(Warning(best.colour, f"Expiring soon: no client uses a token yet, and the "
                                            f"longest-lived one ({best.name}) expires in "
                                            f"{best.days_left} days.", best.name))
    return out
