"""Who talks to Rollcall: the client family from the User-Agent, and each token's clients.

A *connection* is one token used by one client family: Entra with `entra-prod` is one,
an Okta test with the same token another. Families are recognised from the User-Agent:
Entra's provisioning service identifies itself with "Azure AD" or "Microsoft" agents
(/work/shared/reference/entra-scim.md), Okta with "Okta".
"""

from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta

from sqlalchemy import Integer
from sqlalchemy import case
from sqlalchemy import func
from sqlalchemy import select

from models import RequestLog
from models import db

FAMILIES = ("entra", "okta", "other")
LABELS = {"entra": "Microsoft Entra", "okta": "Okta", "other": "Other client"}
_MARKERS = (("entra", ("azure ad", "azuread", "microsoft", "entra")), ("okta", ("okta",)))


def family(user_agent: str | None) -> str:
    """"entra", "okta" or "other" for a User-Agent header."""
    agent = (user_agent or "").lower()
    for name, markers in _MARKERS:
        if any(marker in agent for marker in markers):
            return name
    return "other"


@dataclass
class ClientSeen:
    """One client family's use of one token."""

    token_name: str | None
    family: str
    last_seen: datetime
    last_address: str | None
    last_agent: str | None
    first_seen: datetime
    last_status: int = 0
    # Over the last 24 hours:
    requests: int = 0
    errors: int = 0
    refused: int = 0
    agents: set = field(default_factory=set)

    @property
    def label(self) -> str:
        return LABELS[self.family]

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0


def seen(now: datetime, days: int = 30) -> list[ClientSeen]:
    """Every (token, client family) seen in the last `days`, newest first.

    One grouped query over (token, User-Agent); agents are few, so folding them into
    families happens here. Requests without a token name (unknown tokens) come as None.
    """
    day_ago = now - timedelta(hours=24)
    recent = RequestLog.at >= day_ago
    stmt = (select(RequestLog.token_name, RequestLog.user_agent,
                   func.min(RequestLog.at), func.max(RequestLog.at), func.max(RequestLog.id),
                   _sum(recent), _sum(recent & (RequestLog.status >= 400)),
                   _sum(recent & (RequestLog.status == 401)))
            .where(RequestLog.at >= now - timedelta(days=days), RequestLog.at <= now)
            .group_by(RequestLog.token_name, RequestLog.user_agent))
    out: dict[tuple, ClientSeen] = {}
    latest_ids: dict[tuple, int] = {}
    for name, agent, first, last, last_id, requests, errors, refused in db.session.execute(stmt):
        key = (name, family(agent))
        c = out.get(key)
        if c is None:
            c = out[key] = ClientSeen(name, key[1], last, None, agent, first)
        if last_id >= latest_ids.get(key, 0):
            latest_ids[key], c.last_seen, c.last_agent = last_id, last, agent
        c.first_seen = min(c.first_seen, first)
        c.requests += requests
        c.errors += errors
        c.refused += refused
        c.agents.add(agent or "")
    _addresses(out, latest_ids)
    return sorted(out.values(), key=lambda c: c.last_seen, reverse=True)


def _addresses(out: dict, latest_ids: dict) -> None:
    if not latest_ids:
        return
    rows = db.session.execute(select(RequestLog.id, RequestLog.client_ip, RequestLog.status)
                              .where(RequestLog.id.in_(list(latest_ids.values()))))
    latest = {row.id: row for row in rows}
    for key, row_id in latest_ids.items():
        if row_id in latest:
            out[key].last_address = latest[row_id].client_ip
            out[key].last_status = latest[row_id].status


def _sum(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0).cast(Integer)
