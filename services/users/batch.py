"""Bulk user creates (RFC 7644 §3.7): a run of POST /Users operations in one transaction.

services.bulk hands over consecutive creates that reference no bulkId. Each is validated
and checked in request order as users.create would check it, so each keeps its own
outcome; then the accepted users, their multi-valued rows and their change records go in
with one executemany INSERT each, instead of one transaction per user.
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models import ChangeRecord
from models import User
from models import UserValue
from models import utcnow
from scim import casefold
from scim.errors import SCIMError
from scim.errors import Uniqueness
from services import audit
from services import column_lengths
from services import settings
from services import tx
from services import users
from services.context import note
from services.users import rules as provisioning
from services.users import store as user_store


@dataclass(frozen=True)
class Created:
    id: str
    version: int = 1


def batchable() -> bool:
    """Whether the provisioning rules let creates be checked together.

    Link on create and email matching look at rows that each earlier create may have
    written (by email, by externalId): those requests go one operation at a time.
    """
    return not settings.get("link_on_create") and settings.get("matching_attribute") != "email"


def create(bodies: list[dict], actor, max_errors: int | None = None
           ) -> list[Created | SCIMError] | None:
    """Create users from POST bodies in one transaction; returns one outcome per body.

    The outcomes stop after `max_errors` failures (failOnErrors), and before a body that
    must go through users.create alone: a hidden user's userName (the POST revives it).
    Returns None when a concurrent writer got there first (took a userName, deleted a
    manager): nothing was written, and users.create, one body at a time, says what failed.
    """
    rtype = users.resource_type()
    loaded = [_validate(body, rtype) for body in bodies]
    plan = _Plan(actor, rtype, max_errors)
    try:
        with tx.write() as session:
            plan.check(session, loaded)
            plan.write(session)
    except IntegrityError:
        return None
    for later in plan.notes:  # only now: on None, users.create notes them again
        later()
    return plan.outcomes


def _validate(body: dict, rtype) -> tuple[dict, list[str]] | SCIMError:
    try:
        return users.validate(body, rtype)
    except SCIMError as error:
        return error


class _Plan:
    """The checks of users.create, in its order, for each operation of the run."""

    def __init__(self, actor, rtype, max_errors: int | None):
        self.actor, self.rtype, self.max_errors = actor, rtype, max_errors
        self.outcomes: list[Created | SCIMError] = []
        self.notes: list = []
        self.users: list[dict] = []
        self.values: list[dict] = []
        self.records: list[dict] = []
        self.errors = 0
        self.clock = _Clock()

    def check(self, session, loaded: list) -> None:
        accepted = [item[0] for item in loaded if isinstance(item, tuple)]
        self.taken = _taken(session, [data["userName"] for data in accepted])
        self.managers = user_store.existing(
            session, list({m for d in accepted if (m := user_store.columns(d)["manager_id"])}))
        self.seats = _Seats(session)
        for item in loaded:
            if self.max_errors is not None and self.errors >= self.max_errors:
                return
            if isinstance(item, SCIMError):
                self.fail(item)
                continue
            data, ignored = item
            name = data["userName"]
            if self.taken.get(casefold.key(name)):
                return  # users.create must take this one: see create()
            self.notes.append(partial(users.note_ignored, ignored))
            try:
                self.accept(data)
            except SCIMError as error:
                self.fail(error)

    def fail(self, error: SCIMError) -> None:
        self.outcomes.append(error)
        self.errors += 1

    def accept(self, data: dict) -> None:
        """users.create's checks, in its order; the first that fails is the answer."""
        if casefold.key(data["userName"]) in self.taken:
            raise Uniqueness(f"userName {data['userName']!r} is already in use")
        user_id = str(uuid.uuid4())
        seat_waiting = self.seats.admit(data, self.notes)
        provisioning.require_email(data)
        user_store.check_manager(None, user_id, data, self.managers)
        at = self.clock.tick()
        row = {"id": user_id, **user_store.columns(data), "seat_waiting": seat_waiting,
               "hidden": False, "data": data, "version": 1, "created": at, "last_modified": at}
        column_lengths.check_values(User, row)
        values = user_store.new_rows(user_id, data, self.rtype)
        for value in values:
            column_lengths.check_values(UserValue, value)
        record = audit.entry(self.actor, "user.create", "User", user_id, row["user_name"],
                             audit.diff({}, data))
        column_lengths.check_values(ChangeRecord, record)
        self.taken[casefold.key(data["userName"])] = False
        self.seats.taken(row["active"])
        self.users.append(row)
        self.values += values
        self.records.append(record)
        self.outcomes.append(Created(user_id))

    def write(self, session) -> None:
        if self.users:
            session.execute(insert(User.__table__), self.users)
        if self.values:
            session.execute(insert(UserValue.__table__), self.values)
        audit.record_many(session, self.records)


def _taken(session, names: list[str]) -> dict[str, bool]:
    """{userName key: hidden} of the stored users with these names, in one query."""
    if not names:
        return {}
    keys = {casefold.key(n) for n in names}
    stmt = select(User.user_name_key, User.hidden).where(User.user_name_key.in_(keys))
    return {name: hidden for name, hidden in session.execute(stmt)}


class _Seats:
    """provisioning.admit for a run: count the active users once, then keep count.

    Its note must read as admit's: tests/api/test_bulk_batch.py compares the two paths.
    """

    def __init__(self, session):
        self.limit = settings.get("seat_limit")
        self.active = 0
        if self.limit:
            self.active = session.execute(select(func.count()).select_from(User).where(
                User.active.is_(True), User.hidden.is_(False))).scalar()

    def admit(self, data: dict, notes: list) -> bool:
        """Deactivate `data` when no seat is free; returns whether it waits for one."""
        if not self.limit or data.get("active", True) is False:
            return False
        if self.active < self.limit:
            return False
        data["active"] = False
        notes.append(partial(note, f"seat limit of {self.limit} reached: user kept "
                                   "deactivated, waiting for a seat"))
        return True

    def taken(self, active: bool) -> None:
        self.active += active


class _Clock:
    """utcnow(), but strictly increasing within the run.

    Listings order by `created`: users created one per transaction never share a
    timestamp, so those of one batch must not either, or their order would change.
    """

    def __init__(self):
        self.last = None

    def tick(self):
        now = utcnow()
        if self.last is not None and now <= self.last:
            now = self.last + timedelta(microseconds=1)
        self.last = now
        return now
