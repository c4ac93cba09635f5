"""Bulk user creates (RFC 7644 §3.7): a run of POST /Users operations in one transaction.

services.bulk hands over consecutive creates that reference no bulkId. Each is prepared
in request order by the one user write path (services/users/write.py), as users.create
would, so each keeps its own outcome; then the accepted users, their multi-valued rows
and their change records go in with one executemany INSERT each (write.save), instead of
one transaction per user.
"""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models import User
from models import utcnow
from scim import casefold
from scim.errors import SCIMError
from services import errors
from services import settings
from services import tx
from services import users
from services.users import managers as user_managers
from services.users import rules
from services.users import store
from services.users import write


def batchable() -> bool:
    """Whether the provisioning rules let creates be checked together.

    Link on create and email matching look at rows that each earlier create may have
    written (by email, by externalId): those requests go one operation at a time.
    """
    return not settings.get("link_on_create") and settings.get("matching_attribute") != "email"


def create(bodies: list[dict], actor, max_errors: int | None = None
           ) -> list[User | SCIMError] | None:
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
    except (IntegrityError, errors.ServiceError):  # write.save found a name taken meanwhile
        return None
    return plan.outcomes


def _validate(body: dict, rtype) -> tuple[dict, list[str]] | SCIMError:
    try:
        return users.validate(body, rtype)
    except SCIMError as error:
        return error


class _Plan:
    """Each operation of the run prepared as users.create prepares it, in order."""

    def __init__(self, actor, rtype, max_errors: int | None):
        self.actor, self.rtype, self.max_errors = actor, rtype, max_errors
        self.outcomes: list[User | SCIMError] = []
        self.writes: list[write.Write] = []
        self.errors = 0
        self.clock = _Clock()

    def check(self, session, loaded: list) -> None:
        accepted = [item[0] for item in loaded if isinstance(item, tuple)]
        self.taken = _taken(session, [data["userName"] for data in accepted])
        rules.lock_seats(session)  # as rules.lock would for each create (batchable: no email)
        if any(user_managers.numbers_to_lock({}, data, arrives=True) for data in accepted):
            rules.lock_all_employee_numbers(session)
        managers = store.existing(
            session, list({m for d in accepted if (m := store.columns(d)["manager_id"])}),
            lock=True)
        self.checks = write.Checks(session, locked=True, managers=managers,
                                   numbers_locked=True)
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
            users.note_ignored(ignored)
            try:
                self.accept(data)
            except (SCIMError, errors.ServiceError) as error:
                self.fail(errors.to_scim(error))

    def fail(self, error: SCIMError) -> None:
        self.outcomes.append(error)
        self.errors += 1

    def accept(self, data: dict) -> None:
        """users.create for one body: its userName check, then the one write path's."""
        key = casefold.key(data["userName"])
        if key in self.taken:
            raise errors.Conflict(f"userName {data['userName']!r} is already in use", "userName")
        user = write.new_user()
        change = write.prepare(self.checks, user, {}, data, self.rtype, self.actor,
                               "user.create", was_active=False, new=True,
                               now=self.clock.tick())
        self.taken[key] = False
        self.writes.append(change)
        self.outcomes.append(user)

    def write(self, session) -> None:
        write.save(session, self.writes)


def _taken(session, names: list[str]) -> dict[str, bool]:
    """{userName key: hidden} of the stored users with these names, in one query."""
    if not names:
        return {}
    keys = {casefold.key(n) for n in names}
    stmt = select(User.user_name_key, User.hidden).where(User.user_name_key.in_(keys))
    return {name: hidden for name, hidden in session.execute(stmt)}


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
