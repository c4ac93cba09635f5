"""Provisioning rules (admin settings) as they apply to SCIM user writes.

The rules follow what SaaS peers do: CybSafe's licence limit creates users deactivated,
SAFE requires an email and matches on it, Kantega and CybSafe link a POST to an existing user.

The seat limit and the work-email rule look at other rows, so two writers deciding at
once could both pass. Each is decided inside the write transaction, under a lock that
serialises the writers that could break it (`lock`): on SQLite the database's single
writer lock (models/engine.py `writing`) already does, on PostgreSQL a transaction-level
advisory lock per rule (per email address for the email rule) does.
"""

import functools
import hashlib

from sqlalchemy import bindparam
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text

from models import User
from models import UserValue
from scim import casefold
from services import errors
from services import settings
from services.context import current_directory_id
from services.context import note

_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
_ACTIVE = select(func.count()).select_from(User).where(User.active.is_(True),
                                                        User.hidden.is_(False))


def lock(session, data: dict, was_active: bool) -> None:
    """Take the locks under which this write's cross-row rules are decided.

    Seat limit: only a write that would activate a user can exceed it, so only those
    queue, on one lock; releasing a seat needs none. Work email under email matching:
    writers of the same address queue on that address's lock, and the one that waits
    then sees the other's committed rows (READ COMMITTED reads afresh per statement).
    Locks are taken in this order (seats, then email, then employeeNumbers: see
    `lock_employee_numbers`), and after the row lock of the user written, if any, so two
    writers cannot deadlock.
    """
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite: the write transaction holds the one writer lock already
    for key in lock_keys(data, was_active):
        session.execute(_ADVISORY_LOCK, {"key": _key(key)})


def lock_keys(data: dict, was_active: bool) -> list[str]:
    """The names of the locks `lock` takes for this write, in the order it takes them."""
    keys = []
    if claims_seat(data, was_active):
        keys.append("seats")
    email = matching_email(data)
    if email:
        keys.append("email:" + casefold.key(email))
    return keys


def lock_seats(session) -> None:
    """The seat lock alone, for a run of creates (services/users/batch.py)."""
    if settings.get("seat_limit") and session.get_bind().dialect.name == "postgresql":
        session.execute(_ADVISORY_LOCK, {"key": _key("seats")})


def lock_employee_numbers(session, numbers: set[str]) -> None:
    """PostgreSQL: queue behind the other writers of these employeeNumbers.

    A report names its manager by employeeNumber before the manager exists, and the
    manager's write links the reports waiting for it (services/users/managers.py). Two
    such writes at once would each miss the other's uncommitted row; on this lock the
    second waits, then reads the first's. Each number has its own lock, taken in key
    order after the rules' others (`lock`); all of them behind a shared lock that a run
    of creates takes whole (`lock_all_employee_numbers`). SQLite's writers take turns.
    """
    if not numbers or session.get_bind().dialect.name != "postgresql":
        return
    keys = [_key("employee:" + key) for key in sorted({casefold.key(n) for n in numbers})]
    session.execute(_employee_locks(len(keys)),
                    {"all": _key("employees"), **{f"k{i}": key for i, key in enumerate(keys)}})


@functools.cache
def _employee_locks(count: int):
    # One statement, evaluated left to right: the shared lock first, then each number's.
    return text("SELECT pg_advisory_xact_lock_shared(:all)"
                + "".join(f", pg_advisory_xact_lock(:k{i})" for i in range(count)))


def lock_all_employee_numbers(session) -> None:
    """Every employeeNumber's lock at once, for a run of creates (services/users/batch.py).

    One lock rather than two per user, which could fill PostgreSQL's lock table.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_ADVISORY_LOCK, {"key": _key("employees")})


def _key(name: str) -> int:
    """A stable signed 64-bit advisory lock key for a name in the current directory (the
    same in every worker): seats and emails are counted per directory, so writers of two
    directories never queue on each other."""
    digest = hashlib.sha256(f"rollcall:{current_directory_id()}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def claims_seat(data: dict, was_active: bool) -> bool:
    """Whether this write would take a seat under a limit."""
    wants = data.get("active", True) is not False
    return bool(settings.get("seat_limit")) and wants and not was_active


class Seats:
    """The seat limit: a user beyond it is kept, deactivated, and waits for a seat.

    Counts the active users once; the writer adds each seat it grants (`active`), so a
    run of creates decides as one create at a time would.
    """

    def __init__(self, session):
        self.limit = settings.get("seat_limit")
        self.active = session.execute(_ACTIVE).scalar() if self.limit else 0

    def admit(self, data: dict, was_active: bool) -> bool:
        """Decide `data`'s seat: sets active False when none is free; returns seat_waiting."""
        if not self.limit or data.get("active", True) is False or was_active:
            return False
        if self.active >= self.limit:
            data["active"] = False
            note(f"seat limit of {self.limit} reached: user kept deactivated, waiting for a seat")
            return True
        return False


def seat_free(session) -> bool:
    """Re-check, under the seat lock, a seat that was granted before taking it."""
    return session.execute(_ACTIVE).scalar() < settings.get("seat_limit")


def require_email(after: dict, before: dict | None = None) -> None:
    """The require-email rule, which never blocks deprovisioning.

    A create (`before` None) needs an email; an update only when it would remove the
    email, and never when it leaves the user deactivated.
    """
    if not settings.get("require_email") or has_email(after):
        return
    if before is not None and (not has_email(before) or after.get("active") is False):
        return
    raise errors.Invalid("an email address is required (provisioning rule)", "emails")


def has_email(data: dict) -> bool:
    return any(e.get("value") for e in data.get("emails", []))


def find_existing(session, data: dict) -> User | None:
    """The user a POST names, if any, by each matching key it carries.

    Its userName key and, with link-on-create, its externalId and (with email as the
    matching attribute) its work email.

    :raise errors.Conflict: when these keys name different users; the detail names both.
    """
    named = {}  # user id -> (the user, the key that named it)
    for key, users in _matches(session, data):
        for user in users:
            named.setdefault(user.id, (user, key))
    if len(named) > 1:
        (first, how), (second, other) = list(named.values())[:2]
        raise errors.Conflict(f"this POST names two users: {how} matches user {first.id}, "
                              f"{other} matches user {second.id}", "userName")
    return next(iter(named.values()))[0] if named else None


# Built once: a POST's collision check is on every create's path. A Core query of the
# id, naming its directory itself: almost always it finds nobody, and the ORM's select
# of a whole User cost a tenth of a create's CPU (cProfile) to find that out.
_USERS = User.__table__
_ID_BY_NAME_KEY = select(_USERS.c.id).where(_USERS.c.directory_id == bindparam("directory"),
                                            _USERS.c.user_name_key == bindparam("key"))
_BY_IDS = select(User).where(User.id.in_(bindparam("ids", expanding=True)))


def _matches(session, data: dict):
    """(key description, users it names) for each matching key the POST carries."""
    ids = session.connection().execute(_ID_BY_NAME_KEY, {
        "directory": current_directory_id(), "key": casefold.key(data["userName"])}).scalars().all()
    yield "userName", session.execute(_BY_IDS, {"ids": ids}).scalars().all() if ids else []
    if not settings.get("link_on_create"):
        return
    if data.get("externalId"):
        stmt = select(User).where(User.external_id == data["externalId"]).limit(2)
        yield "externalId", session.execute(stmt).scalars().all()
    email = matching_email(data)
    if email:
        stmt = select(User).join(UserValue).where(
            UserValue.attr == "emails", UserValue.value_key == casefold.key(email)).limit(2)
        yield "email", session.execute(stmt).scalars().unique().all()


def matching_email(data: dict) -> str | None:
    """The work email that must be unique: only with email as the matching attribute."""
    if settings.get("matching_attribute") != "email":
        return None
    return work_email(data)


def check_email_unique(session, data: dict, user_id: str | None) -> None:
    """With email as the matching attribute, a work email belongs to one user.

    Decided for good only under `lock`; a check before it is an early answer.
    """
    email = matching_email(data)
    if not email:
        return
    stmt = select(UserValue.user_id).where(UserValue.attr == "emails",
                                           UserValue.value_key == casefold.key(email))
    if user_id is not None:
        stmt = stmt.where(UserValue.user_id != user_id)
    if session.execute(stmt.limit(1)).first() is not None:
        raise errors.Conflict(f"email {email!r} is already in use", "emails")


def work_email(data: dict) -> str | None:
    emails = data.get("emails") or []
    for rule in (lambda e: e.get("type") == "work", lambda e: e.get("primary"), lambda e: True):
        for entry in emails:
            if rule(entry) and entry.get("value"):
                return entry["value"]
    return None
