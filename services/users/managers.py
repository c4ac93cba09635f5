"""Manager references: by id or by employeeNumber, kept pending until that user arrives.

Entra's API-driven inbound provisioning sends an HR feed in which `manager.value` is the
manager's employee number, and a report may come before its manager, even in one /Bulk
request. So a manager value is, in this order:
- the id of a visible user: linked, as always;
- the employeeNumber of exactly one visible user: linked, and stored as that user's id
  (what RFC 7643 §4.3 says `manager.value` holds);
- otherwise kept as sent, pending (`users.manager_ref`), and noted on the request; GET
  shows it without `$ref`. Writing a user with that employeeNumber links every report
  waiting for it (`link_pending`), in the same transaction, each with its change record.
An id is Rollcall's own (a UUID): one that names no visible user can never arrive later,
so it is refused with 400 as before; two users with one employeeNumber keep it pending.

Locks: a linked manager is read FOR KEY SHARE on PostgreSQL (as store.existing does), so
a DELETE of it (FOR UPDATE) waits for the write or the write finds no manager. A write
that names its manager by employeeNumber and one that brings that employeeNumber queue on
the number's lock (rules.lock_employee_numbers): the second sees the first's row, so a
report and its manager written at once are linked (SQLite's writers take turns anyway).
Reports are linked FOR NO KEY UPDATE SKIP LOCKED: a report being written at that moment
resolves its manager itself, never deadlocked.
"""

import collections
import functools
import re
from typing import NamedTuple

from sqlalchemy import bindparam
from sqlalchemy import func
from sqlalchemy import select

from models import User
from models import utcnow
from scim.schema import ENTERPRISE
from services import audit
from services import errors
from services import sql_lists
from services.audit import Target
from services.context import current_directory_id
from services.context import note
from services.users import store

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


class Reference(NamedTuple):
    id: str | None  # the manager's user id, once linked
    pending: str | None  # the value as sent, while no single user has it


def is_id(value) -> bool:
    """Whether a manager value is a user id (so GET gives it a `$ref`), not a pending number."""
    return isinstance(value, str) and _UUID.match(value) is not None


def value(data: dict):
    return ((data.get(ENTERPRISE) or {}).get("manager") or {}).get("value")


def resolve(session, user_id: str, data: dict, known: set | None = None,
            lock: bool = False) -> Reference:
    """Link `data`'s manager, rewriting a matched employeeNumber to the user's id.

    `known`: ids already found to be visible users (a /Bulk run's prefetch).
    :raise errors.Invalid: for the user itself, or an id that names no visible user.
    """
    wanted = value(data)
    if wanted is None:
        return Reference(None, None)
    if wanted == user_id:
        raise errors.Invalid("a user cannot be their own manager", "manager")
    ids = known if known is not None else store.existing(session, [wanted], lock)
    if wanted in ids:
        return Reference(wanted, None)
    found = _by_employee_number(session, wanted, lock)
    if len(found) == 1 and found[0] != user_id:
        _rewrite(data, found[0])
        note(f"manager employeeNumber {wanted!r} is user {found[0]}")
        return Reference(found[0], None)
    return _pending(data, wanted, found, user_id)


def numbers_to_lock(before: dict, after: dict, arrives: bool) -> set[str]:
    """The employeeNumbers a write must hold (rules.lock_employee_numbers) to link right.

    The manager's, when named by number (not by id); the user's own, when it arrives
    (a new user, or a number it did not have), as reports may wait for it.
    """
    numbers = set()
    wanted = value(after)
    if wanted is not None and not is_id(wanted):
        numbers.add(wanted)
    own = _own_number(after)
    if own and (arrives or own != _own_number(before)):
        numbers.add(own)
    return numbers


def _own_number(data: dict):
    number = (data.get(ENTERPRISE) or {}).get("employeeNumber")
    return number if isinstance(number, str) else None


def _pending(data: dict, wanted: str, found: list, user_id: str) -> Reference:
    own = _own_number(data)
    if found == [user_id] or (not found and own == wanted):
        raise errors.Invalid("a user cannot be their own manager", "manager")
    if is_id(wanted) and not found:
        raise errors.Invalid(f"manager {wanted!r} is not a user here", "manager")
    if found:
        note(f"manager employeeNumber {wanted!r} names {len(found)} users: kept pending")
    else:
        note(f"manager {wanted!r} is no user yet: kept pending until a user with that "
             "employeeNumber arrives")
    return Reference(None, wanted)


def normalise(session, before: dict, after: dict) -> None:
    """Read an employeeNumber naming the current manager as that manager's id.

    Called before a write is compared with the stored user: an HR feed's replay then
    changes nothing.
    """
    wanted = value(after)
    if wanted is None or wanted == value(before) or is_id(wanted):
        return
    found = _by_employee_number(session, wanted, lock=False)
    if len(found) == 1 and found[0] == value(before):
        _rewrite(after, found[0])


def _by_employee_number(session, number: str, lock: bool) -> list[str]:
    """The visible users with this employeeNumber (at most two: one, or ambiguous)."""
    stmt = _NUMBERED[lock and session.get_bind().dialect.name == "postgresql"]
    rows = session.execute(stmt, {"number": number}).all()
    return [user_id for user_id, exact in rows if exact == number][:2]


def _numbered(lock: bool):
    # lower() = lower() alone, so the search runs on ix_users_employee_number; the exact
    # match is picked in Python: with `employee_number = ?` beside it, SQLite 3.40
    # searched the directory's whole listing index instead (tests/perf/test_query_plans.py).
    stmt = select(User.id, User.employee_number).where(
        func.lower(User.employee_number) == func.lower(bindparam("number")),
        User.hidden.is_(False))
    return stmt.with_for_update(key_share=True, read=True) if lock else stmt


# Built once, so the directory scoping (models/scoping.py) finds its copy.
_NUMBERED = {False: _numbered(False), True: _numbered(True)}


def _rewrite(data: dict, manager_id: str) -> None:
    enterprise = dict(data[ENTERPRISE])
    enterprise["manager"] = {**enterprise["manager"], "value": manager_id}
    data[ENTERPRISE] = enterprise


def recheck(session, user: User) -> bool:
    """Under the locks, whether the manager is still as `resolve` found it before them.

    A linked manager must still be a visible user (store.existing). A pending one must
    still be no single user's: False when that user arrived meanwhile (its write could
    not link a report not yet committed), and the write starts over and links it.
    :raise errors.Invalid: for a linked manager gone meanwhile.
    """
    if user.manager_id is not None and not store.existing(session, [user.manager_id], True):
        raise errors.Invalid(f"manager {user.manager_id!r} is not a user here", "manager")
    if user.manager_ref is None:
        return True
    found = _by_employee_number(session, user.manager_ref, lock=True)
    return not (len(found) == 1 and found[0] != user.id)


def link_pending(session, writes: list) -> None:
    """Link the reports waiting for an employeeNumber these writes brought (write.save).

    One indexed query when nobody waits, which is almost always.
    """
    arrived = {w.user.employee_number: w for w in writes if _arrives(w)}
    if not arrived:
        return
    reports = _waiting(session, list(arrived))
    if not reports:
        return
    unique = _unique(session, {r.manager_ref for r in reports})
    written = {w.user.id: w for w in writes}
    entries = []
    for report in reports:
        by = arrived[report.manager_ref]
        if report.manager_ref in unique and report.id != by.user.id:
            entries.append(_link(session, report, by, written.get(report.id)))
    if entries:
        note(f"linked {len(entries)} pending manager reference(s)")
        audit.record_many(session, entries)


def _arrives(write) -> bool:
    """Whether a write brings a visible user with an employeeNumber it did not have."""
    user = write.user
    if not user.employee_number or user.hidden:
        return False
    return write.new or write.revived or _own_number(write.before) != user.employee_number


def _waiting(session, numbers: list[str]):
    """The reports whose manager_ref is among `numbers`; built once per database kind."""
    dialect_name = session.get_bind().dialect.name
    return session.connection().execute(_waiting_statement(dialect_name), {
        "directory": current_directory_id(),
        "numbers": sql_lists.value(numbers, dialect_name)}).all()


@functools.cache
def _waiting_statement(dialect_name: str):
    # Core, naming its directory itself: it is on every create's path and almost always
    # finds nobody, and the ORM's execute path cost more than the query.
    users = User.__table__
    stmt = select(users.c.id, users.c.user_name, users.c.data, users.c.version,
                  users.c.manager_ref).where(users.c.directory_id == bindparam("directory"),
                                             sql_lists.among(users.c.manager_ref, "numbers",
                                                             dialect_name))
    if dialect_name == "postgresql":
        stmt = stmt.with_for_update(key_share=True, skip_locked=True)
    return stmt


def _unique(session, numbers: set) -> set:
    """The employeeNumbers among `numbers` that exactly one visible user has."""
    # Matched on lower(), as _by_employee_number, then counted exactly.
    stmt = select(User.employee_number).where(
        func.lower(User.employee_number).in_([func.lower(n) for n in numbers]),
        User.hidden.is_(False))
    counts = collections.Counter(session.execute(stmt).scalars())
    unique = {number for number in numbers if counts[number] == 1}
    for number in numbers - unique:
        note(f"manager employeeNumber {number!r} names several users: reports kept pending")
    return unique


_LINK = User.__table__.update().where(User.__table__.c.id == bindparam("report")).values(
    data=bindparam("data"), manager_id=bindparam("manager"), manager_ref=None,
    version=bindparam("version"), last_modified=bindparam("at"))


def _link(session, report, by, draft) -> dict:
    """Point one waiting report at the user `by` wrote; returns its change record."""
    manager = by.user
    data = dict(report.data)
    _rewrite(data, manager.id)
    version, at = report.version + 1, utcnow()
    session.execute(_LINK, {"report": report.id, "data": data, "manager": manager.id,
                            "version": version, "at": at})
    if draft is not None:  # written in this same run (/Bulk): its response shows the link
        draft.user.data, draft.user.manager_id, draft.user.manager_ref = data, manager.id, None
        draft.user.version, draft.user.last_modified = version, at
    return audit.entry(by.actor, "user.patch",
                       Target("User", report.id, report.user_name),
                       audit.diff(report.data, data))
