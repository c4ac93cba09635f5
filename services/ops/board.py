"""What the dashboard card and the health page show, gathered in one place."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from models import OpsAlert
from models import db
from services.audit import chain as audit_chain
from services.ops import clients
from services.ops import health
from services.ops import tokens
from services.ops.config import OpsConfig


@dataclass
class Board:
    now: datetime
    tokens: tokens.TokenTruth
    connections: list
    chains: list
    open_alerts: list

    @property
    def state(self) -> str:
        worst = max((health.STATES.index(c.state) for c in self.connections), default=0)
        return health.STATES[worst]

    @property
    def verify_failed(self) -> bool:
        return any(c["state"] is not None and c["state"].verify_ok is False for c in self.chains)


# The dashboard card and the alert checks judge the last cycle only: a shorter read.
RECENT_HOURS = 6


def snapshot(now: datetime, config: OpsConfig, hours: float | None = None) -> Board:
    """Tokens, connections with their cycles of the last `hours`, chains and open alerts."""
    seen = clients.seen(now)
    truth = tokens.truth(now, config)
    retired = frozenset(v.name for v in truth.views if v.status != "active")
    connections = health.overview(now, config, seen, retired, hours)
    return Board(now=now, tokens=truth, connections=connections,
                 chains=audit_chain.status(db.session), open_alerts=open_alerts())


def open_alerts() -> list[OpsAlert]:
    stmt = select(OpsAlert).where(OpsAlert.cleared_at.is_(None)).order_by(OpsAlert.fired_at.desc())
    return list(db.session.execute(stmt).scalars())
