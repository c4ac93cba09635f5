"""Every directory at a glance: counts, last request and change, tokens, provisioning health.

One grouped query per table for all directories together (never one per directory), and
the health of each directory's connections judged as the Health page judges them.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer
from sqlalchemy import case
from sqlalchemy import func
from sqlalchemy import select

from models import ApiToken
from models import ChangeRecord
from models import Group
from models import RequestLog
from models import User
from models import db
from services import directories
from services.context import in_directory
from services.ops import board
from services.ops import health
from services.ops.config import OpsConfig
from services.readmodels import scope


@dataclass(frozen=True)
class DirectoryRow:
    id: int
    slug: str
    name: str
    staging: bool
    users: int
    active_users: int
    groups: int
    tokens: int  # valid: neither revoked nor expired
    last_request: datetime | None
    last_change: datetime | None  # by a SCIM client
    health: str  # a key of services.ops.health.LABELS ("idle" without traffic)

    @property
    def health_label(self) -> str:
        return health.LABELS[self.health]

    @property
    def health_badge(self) -> str:
        return health.BADGES[self.health]


def rows(now: datetime, config: OpsConfig) -> list[DirectoryRow]:
    """One row per directory, the default directory first."""
    users = _grouped(select(User.directory_id, func.count(), _count(User.active.is_(True)))
                     .where(User.hidden.is_(False)).group_by(User.directory_id))
    groups = _grouped(select(Group.directory_id, func.count()).group_by(Group.directory_id))
    valid = (ApiToken.revoked_at.is_(None)) & (ApiToken.expires_at > now)
    tokens = _grouped(select(ApiToken.directory_id, func.count()).where(valid)
                      .group_by(ApiToken.directory_id))
    requests = _grouped(select(RequestLog.directory_id, func.max(RequestLog.at))
                        .group_by(RequestLog.directory_id))
    # Changes a client made, as the dashboard's "Last SCIM change" (page views are records too).
    changes = _grouped(select(ChangeRecord.directory_id, func.max(ChangeRecord.at))
                       .where(ChangeRecord.actor_kind == "token")
                       .group_by(ChangeRecord.directory_id))
    out = []
    for d in directories.all():
        count, active = users.get(d.id, (0, 0))
        out.append(DirectoryRow(
            d.id, d.slug, d.name, d.staging, count, active, groups.get(d.id, (0,))[0],
            tokens.get(d.id, (0,))[0], requests.get(d.id, (None,))[0],
            changes.get(d.id, (None,))[0],
            health_of(d.id, now, config) if d.id in requests else "idle"))
    return out


def health_of(directory_id: int, now: datetime, config: OpsConfig) -> str:
    """The worst state among the directory's connections over the recent hours."""
    with in_directory(directory_id):
        snap = board.snapshot(now, config, board.RECENT_HOURS)
    return snap.state if snap.connections else "idle"


def _grouped(stmt) -> dict[int, tuple]:
    return {row[0]: tuple(row[1:]) for row in db.session.execute(scope.across(stmt))}


def _count(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0).cast(Integer)
