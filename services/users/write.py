"""One way to write a user, for POST, PUT, PATCH, link-on-create and /Bulk creates.

`prepare` works out, once, everything a write sends: the validated document, the indexed
column values, the child rows, the manager reference, the provisioning rules' outcome
and the change record. `save` writes prepared users with Core statements (one
executemany per table for a run of creates) after deciding, under the rules' locks,
what `prepare` could only decide early: the optimistic PATCH prepares outside the write
transaction, so what it decided there is checked again under the locks.
"""

import uuid
from dataclasses import dataclass
from dataclasses import field

from sqlalchemy import bindparam
from sqlalchemy import delete
from sqlalchemy import insert
from sqlalchemy import inspect
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.base import NO_VALUE

from models import ChangeRecord
from models import User
from models import UserValue
from models import utcnow
from scim.schema import ENTERPRISE
from services import audit
from services import column_lengths
from services import errors
from services.audit import Target
from services.context import current_directory_id
from services.users import managers
from services.users import rules
from services.users import store


@dataclass
class Write:
    """A prepared user write: `user` is the row as it will be (detached from any session)."""

    user: User
    new: bool
    at_version: int | None  # the version it was read at (None for a create)
    before: dict
    after: dict
    was_active: bool
    stale_keys: list[str]  # child-row attributes whose rows are replaced
    values: list[dict]  # the child rows to insert
    record: dict
    seat_granted: bool  # took a seat under the limit: re-checked under the seat lock
    manager_changed: bool
    checked: bool  # prepared under the locks, in the transaction that saves it
    ignored: list = field(default_factory=list)
    revived: bool = False  # a hidden user brought back by a POST
    actor: object = None


class Checks:
    """What the rules read once per transaction: the seat count and known managers.

    `locked`: the caller holds the rules' locks (see rules.lock), in the transaction
    that will save the writes, so what `prepare` decides is final.
    """

    def __init__(self, session, locked: bool, managers: set | None = None,
                 numbers_locked: bool = False):
        self.session, self.locked, self.managers = session, locked, managers
        # A run of creates holds every employeeNumber's lock already.
        self.numbers_locked = numbers_locked
        self._seats: rules.Seats | None = None

    @property
    def seats(self) -> rules.Seats:
        if self._seats is None:
            self._seats = rules.Seats(self.session)
        return self._seats


def new_user() -> User:
    # The directory explicitly: save() inserts the columns as they stand, defaults unapplied.
    return User(id=str(uuid.uuid4()), directory_id=current_directory_id(), data={}, version=0,
                hidden=False)


def prepare(checks: Checks, user: User, before: dict, after: dict, rtype, actor, action: str,
            *, was_active: bool, new: bool = False, revived: bool = False, now=None) -> Write:
    """Apply the rules to `after` and build the write; `user` becomes the row as written.

    :raise errors.Conflict: for a work email taken under email matching.
    :raise errors.Invalid: for a missing required email, a manager that is no user, or a
        value longer than its column.
    `revived`: a hidden user brought back by a POST, which the rules treat as a create.
    """
    session = checks.session
    at_version = None if new else user.version
    rules.check_email_unique(session, after, None if new else user.id)
    granted = rules.claims_seat(after, was_active)
    user.seat_waiting = checks.seats.admit(after, was_active) if granted else False
    granted = granted and not user.seat_waiting
    rules.require_email(after, None if new or revived else before)
    if checks.locked and not checks.numbers_locked:
        rules.lock_employee_numbers(session, managers.numbers_to_lock(
            before, after, arrives=new or revived))
    stored = managers.Reference(user.manager_id, user.manager_ref)
    manager = stored
    if _manager(after) != _manager(before) or stored.pending:  # a linked one was checked
        manager = managers.resolve(session, user.id, after, checks.managers, checks.locked)
    manager_changed = manager != stored
    user.data = after
    store.sync_columns(user, after)
    user.manager_id, user.manager_ref = manager
    touch(user, now)
    column_lengths.check_row(user)
    stale_keys, values = store.value_changes(user.id, before, after, rtype)
    record = audit.entry(actor, action, target(user), audit.diff(before, after))
    column_lengths.check_values(ChangeRecord, record)
    if granted:
        checks.seats.active += 1
    return Write(user, new, at_version, before, after, was_active, stale_keys, values, record,
                 granted, manager_changed, checks.locked, revived=revived, actor=actor)


def save(session, writes: list[Write]) -> bool:
    """Write prepared users in the caller's transaction, in order.

    Returns False, having written nothing, when a user changed since it was read or a
    rule decided before the locks no longer holds: the caller starts over.
    :raise errors.Conflict: for a userName or work email taken meanwhile.
    :raise errors.Invalid: for a manager deleted meanwhile.
    """
    for write in writes:
        if not write.checked and not _recheck(session, write):
            return False
    try:
        new = [_row(w.user) for w in writes if w.new]
        if new:  # Core statements on the connection, as audit.record_many
            session.connection().execute(_INSERT_USERS, new)
        for write in writes:
            if not write.new and not _update(session, write):
                return False
        _write_values(session, writes)
    except IntegrityError as error:
        raise _integrity(error, writes) from error
    audit.record_many(session, [w.record for w in writes])
    managers.link_pending(session, writes)
    return True


def _recheck(session, write: Write) -> bool:
    """Decide under the rules' locks what `prepare` decided before them."""
    user = write.user
    if not write.new and rules.lock_keys(write.after, write.was_active) and not _row_lock(
            session, write):
        return False
    rules.lock(session, write.after, write.was_active)
    rules.check_email_unique(session, write.after, None if write.new else user.id)
    if write.manager_changed and not managers.recheck(session, user):
        return False
    if user.seat_waiting:  # kept waiting before the locks: is a seat free now?
        return not rules.seat_free(session)
    return not write.seat_granted or rules.seat_free(session)


# Core, built once: the ORM's UPDATE path costs more than the write it sends.
_COLUMNS = tuple(c.key for c in User.__table__.columns)
_USERS = User.__table__
_INSERT_USERS = insert(_USERS)
_INSERT_VALUES = insert(UserValue.__table__)
_UPDATE_AT_VERSION = _USERS.update().where(
    _USERS.c.id == bindparam("at_id"), _USERS.c.version == bindparam("at_version"),
    _USERS.c.directory_id == bindparam("at_directory"))


def _row_lock(session, write: Write) -> bool:
    """Lock the user row, as PUT does, before the rules' locks (see rules.lock)."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    stmt = select(User.id).where(User.id == write.user.id, User.version == write.at_version)
    return session.execute(stmt.with_for_update(key_share=True)).first() is not None


def _row(user: User) -> dict:
    return {name: getattr(user, name) for name in _COLUMNS}


def _update(session, write: Write) -> bool:
    """UPDATE the columns changed since the user was read, if it is still at that version.

    Only those: SQLite rewrites the entries of every index over a column it SETs, even to
    the same value, and users have fifteen (a PATCH of a title: 65 µs against 215).
    """
    user = write.user
    result = session.connection().execute(_UPDATE_AT_VERSION, {
        **_changed(user), "at_id": user.id, "at_version": write.at_version,
        "at_directory": user.directory_id})
    return result.rowcount == 1


def _changed(user: User) -> dict:
    """{column: value} of what differs from the row as loaded (the ORM keeps what it was)."""
    state = inspect(user)
    if state.key is None:  # never loaded: every column
        return {k: v for k, v in _row(user).items() if k not in _KEPT}
    out = {}
    for key, old in state.committed_state.items():
        if key in _SETTABLE:
            new = getattr(user, key)
            if old is NO_VALUE or old != new:
                out[key] = new
    return out


_KEPT = ("id", "created")
_SETTABLE = frozenset(_COLUMNS) - frozenset(_KEPT)


def _write_values(session, writes: list[Write]) -> None:
    for write in writes:
        if write.stale_keys and not write.new:
            session.execute(delete(UserValue).where(UserValue.user_id == write.user.id,
                                                    UserValue.attr.in_(write.stale_keys)))
    rows = [row for write in writes for row in write.values]
    if rows:
        session.connection().execute(_INSERT_VALUES, rows)


def _integrity(error: IntegrityError, writes: list[Write]) -> Exception:
    """The SCIM error for a constraint the database enforced.

    A foreign key names a manager deleted after the check (only without its lock);
    anything else is the unique index on userName.
    """
    if _is_foreign_key(error):
        managers = [m for w in writes if (m := w.user.manager_id)]
        named = f"manager {managers[0]!r}" if len(managers) == 1 else "a manager"
        return errors.Invalid(f"{named} is not a user here", "manager")
    return errors.Conflict("userName is already in use", "userName")


def _is_foreign_key(error: IntegrityError) -> bool:
    code = getattr(error.orig, "sqlstate", None)
    return code == "23503" or "FOREIGN KEY" in str(error.orig)


def target(user: User) -> Target:
    return Target("User", user.id, user.user_name)


def _manager(data: dict):
    return (data.get(ENTERPRISE) or {}).get("manager")


def touch(user: User, now=None) -> None:
    """A new version and lastModified (and `created`, the first time)."""
    user.version = (user.version or 0) + 1
    user.last_modified = now or utcnow()
    if user.created is None:
        user.created = user.last_modified
