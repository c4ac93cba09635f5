"""Users: the verbs of the SCIM Users endpoint, each one transaction with its change record."""

import uuid
from dataclasses import dataclass

from sqlalchemy import bindparam
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models import User
from models import db
from models import utcnow
from scim import filter as scim_filter
from scim import patch as scim_patch
from scim import query
from scim import resource
from scim.errors import NotFound
from scim.errors import Uniqueness
from scim.schema import ENTERPRISE
from services import audit
from services import column_lengths
from services import custom_fields
from services import settings
from services import tx
from services.context import note
from services.resources import listing
from services.resources.listing import Search
from services.resources.preconditions import check_if_match
from services.users import rules as provisioning
from services.users import store as user_store


def resource_type():
    return custom_fields.user_type()


_BY_ID = select(User).where(User.id == bindparam("id"), User.hidden.is_(False))


def get(user_id: str) -> User:
    """:raise NotFound: when no visible user has this id."""
    user = db.session.execute(_BY_ID, {"id": user_id}).scalar_one_or_none()
    if user is None:
        raise NotFound(f"User {user_id} not found")
    return user


# Entra's matching query, `userName eq "…"` (entra-scim.md §5): at most one row, found by
# the unique index on lower(user_name). Built once, so SQLAlchemy reuses its compiled form
# instead of rebuilding the filter's expression and its cache key on every request.
_BY_USER_NAME = select(User.id, User.data, User.version, User.created, User.last_modified).where(
    func.lower(User.user_name) == bindparam("name"), User.hidden.is_(False))


def search(params: Search, max_filter_length: int = 4096) -> tuple[int, list]:
    """Filter, count and page users in SQL (RFC 7644 §3.4.2).

    The rows are listing.Rows: what services/resources/serialize.py reads, without ORM objects.
    """
    rtype = resource_type()
    conditions = [User.hidden.is_(False)]
    if params.filter:
        tree = scim_filter.parse(params.filter, max_length=max_filter_length)
        name = scim_filter.equality_value(tree, "username")
        if name is not None and params.start_index == 1 and params.count > 0 and not params.cursor:
            found = db.session.connection().execute(_BY_USER_NAME, {"name": name.lower()})
            rows = [listing.Row(*row) for row in found]
            return len(rows), rows
        conditions.append(query.to_sql(tree, user_store.resolver(rtype)))
    order = listing.order(params, user_store.resolver(rtype), User)
    return listing.page(User, conditions, order, params)


def create(body: dict, actor) -> tuple[User, bool]:
    """Create a user from a POST body; returns (user, created).

    With link-on-create on, a POST for an existing user updates that user instead.
    :raise Uniqueness: when userName (or the matching email) is taken.
    """
    rtype = resource_type()
    data = _load(body, rtype)
    with tx.write() as session:
        existing = provisioning.find_existing(session, data)
        if existing is not None and (existing.hidden or settings.get("link_on_create")):
            note(f"linked POST to existing user {existing.id}")
            _replace(session, existing, data, rtype, actor, "user.link")
            tx.keep_loaded(session, existing)
            return existing, False
        if existing is not None:
            raise Uniqueness(f"userName {data['userName']!r} is already in use")
        user = User(id=str(uuid.uuid4()), data={}, version=0)
        provisioning.check_email_unique(session, data, None)
        provisioning.admit(session, user, data, was_active=False)
        _write(session, user, {}, data, rtype)
        session.add(user)  # after the checks' queries, so autoflush never sees it half-built
        _save(session, user, {}, data, rtype)
        audit.record(session, actor, "user.create", "User", user.id, user.user_name,
                     audit.diff({}, data))
        tx.keep_loaded(session, user)
    return user, True


def replace(user_id: str, body: dict, actor, if_match: str | None = None) -> User:
    """PUT: replace the user's attributes (RFC 7644 §3.5.1).

    Okta sends PUT without `active` for profile updates: absent means unchanged.
    """
    rtype = resource_type()
    data = _load(body, rtype)
    with tx.write() as session:
        user = _locked(session, user_id, if_match)
        _replace(session, user, data, rtype, actor, "user.replace")
        tx.keep_loaded(session, user)
    return user


def patch(user_id: str, body: dict, actor, if_match: str | None = None) -> User:
    """PATCH: apply a PatchOp, all or nothing (RFC 7644 §3.5.2).

    The PatchOp, its checks and the change record are worked out on the user as read,
    before the write transaction; the write applies only if the user is still at that
    version, and otherwise the PATCH starts over (optimistic). On SQLite, where writers
    take turns, a PATCH so holds the lock for a few statements, not for all its work.
    """
    rtype = resource_type()
    operations = scim_patch.operations(body)
    for _ in range(PATCH_ATTEMPTS - 1):
        user = get(user_id)
        db.session.expunge(user)  # a draft: the write's rollback must not expire it
        change = _patched(user, operations, rtype, actor, if_match)
        if change is None:
            return user
        with tx.write() as session:
            if _store(session, change):
                return user
    # Busy user: the last attempt reads under the write lock, so nobody can overtake it.
    with tx.write() as session:
        user = _locked(session, user_id, if_match)
        session.expunge(user)
        change = _patched(user, operations, rtype, actor, if_match)
        if change is not None:
            _store(session, change)
    return user


PATCH_ATTEMPTS = 3


@dataclass
class _Change:
    user: User
    version: int
    before: dict
    after: dict
    rtype: object
    record: dict
    ignored: list


def _patched(user: User, operations, rtype, actor, if_match: str | None) -> _Change | None:
    """Apply the PatchOp to a detached user; None (with the notes made) if nothing changed."""
    check_if_match(if_match, etag(user))
    before, version = user.data, user.version
    after, ignored = scim_patch.apply(dict(before), operations, rtype, unknown=_unknown(),
                                      max_value_length=settings.max_value_length())
    if after == before:
        _note_ignored(ignored)
        return None
    session = db.session
    provisioning.check_email_unique(session, after, user.id)
    provisioning.admit(session, user, after, was_active=user.active)
    _write(session, user, before, after, rtype)
    column_lengths.check_row(user)  # written with Core, so no flush checks it
    record = audit.entry(actor, "user.patch", "User", user.id, user.user_name,
                         audit.diff(before, after))
    return _Change(user, version, before, after, rtype, record, ignored)


def _store(session, change: _Change) -> bool:
    """Write a patched user if it is still at the version it was read at; False if not."""
    user = change.user
    params = {name: getattr(user, name) for name in _PATCHED}
    try:
        result = session.execute(_UPDATE_AT_VERSION, {**params, "at_id": user.id,
                                                      "at_version": change.version})
        if result.rowcount != 1:
            return False
    except IntegrityError as error:
        raise Uniqueness("userName is already in use") from error
    user_store.sync_values(session, user.id, change.before, change.after, change.rtype)
    audit.record_many(session, [change.record])
    _note_ignored(change.ignored)
    return True


# The columns a PATCH can change: the indexed copies of `data`, and the bookkeeping.
_PATCHED = (*user_store.CORE_COLUMNS, "active", "manager_id", "seat_waiting", "data",
            "version", "last_modified")
# Core, built once: the ORM's UPDATE path costs more than the write it sends. The SET
# clause comes from the parameters, which name every column of _PATCHED.
_USERS = User.__table__
_UPDATE_AT_VERSION = _USERS.update().where(
    _USERS.c.id == bindparam("at_id"), _USERS.c.version == bindparam("at_version"),
    _USERS.c.hidden.is_(False))


def _manager(data: dict):
    return (data.get(ENTERPRISE) or {}).get("manager")


def delete(user_id: str, actor, if_match: str | None = None) -> None:
    """DELETE: remove the user, or deactivate and hide it when the delete mode says so."""
    with tx.write() as session:
        user = _locked(session, user_id, if_match)
        if settings.get("delete_mode") == "deactivate":
            user.hidden, user.active = True, False
            user.data = {**user.data, "active": False}
            _touch(user)
            audit.record(session, actor, "user.hide", "User", user.id, user.user_name,
                         {"active": [True, False], "hidden": [False, True]})
            return
        audit.record(session, actor, "user.delete", "User", user.id, user.user_name,
                     audit.diff(user.data, {}))
        _clear_manager(session, user.id, actor)
        session.delete(user)


def _clear_manager(session, manager_id: str, actor) -> None:
    """Keep references valid: the reports of a deleted manager lose their manager."""
    reports = session.execute(select(User).where(User.manager_id == manager_id)).scalars()
    for report in reports:
        before = report.data
        enterprise = {k: v for k, v in before.get(ENTERPRISE, {}).items() if k != "manager"}
        after = {k: v for k, v in before.items() if k != ENTERPRISE}
        if enterprise:
            after[ENTERPRISE] = enterprise
        report.data, report.manager_id = after, None
        _touch(report)
        audit.record(session, actor, "user.patch", "User", report.id, report.user_name,
                     audit.diff(before, after))


def etag(user: User) -> str:
    return f'W/"{user.version}"'


def _load(body, rtype) -> dict:
    data, ignored = validate(body, rtype)
    _note_ignored(ignored)
    return data


def _unknown() -> str:
    return settings.get("unknown_attributes")


def _note_ignored(ignored) -> None:
    for path in ignored:
        note(f"ignored unknown attribute {path}")


def _locked(session, user_id: str, if_match: str | None) -> User:
    """Load the user for update and check If-Match."""
    stmt = select(User).where(User.id == user_id, User.hidden.is_(False))
    user = tx.locked_one(session, stmt, f"User {user_id} not found")
    check_if_match(if_match, etag(user))
    return user


def _replace(session, user: User, data: dict, rtype, actor, action: str) -> None:
    before = dict(user.data)
    if "active" not in data and not user.hidden:
        data = {**data, "active": user.active}
    was_active = user.active and not user.hidden
    user.hidden = False
    _check_unique_name(session, data, user.id)
    provisioning.check_email_unique(session, data, user.id)
    provisioning.admit(session, user, data, was_active=was_active)
    _write(session, user, before, data, rtype)
    _save(session, user, before, data, rtype)
    audit.record(session, actor, action, "User", user.id, user.user_name, audit.diff(before, data))


def _write(session, user: User, before: dict, after: dict, rtype) -> None:
    provisioning.require_email(after)
    if _manager(after) != _manager(before):  # an unchanged reference was checked when set
        user_store.check_manager(session, user.id, after)
    user.data = after
    user_store.sync_columns(user, after)
    _touch(user)


def _touch(user: User) -> None:
    user.version = (user.version or 0) + 1
    user.last_modified = utcnow()
    if user.created is None:
        user.created = user.last_modified


def _check_unique_name(session, data: dict, user_id: str) -> None:
    stmt = select(User.id).where(func.lower(User.user_name) == data["userName"].lower(),
                                 User.id != user_id)
    if session.execute(stmt).first() is not None:
        raise Uniqueness(f"userName {data['userName']!r} is already in use")


def _save(session, user: User, before: dict, after: dict, rtype) -> None:
    """Flush the user row, then rewrite its multi-valued child rows (they reference it)."""
    _flush(session)
    user_store.sync_values(session, user.id, before, after, rtype)


def _flush(session) -> None:
    """Flush now so a concurrent duplicate surfaces as 409, not as a 500 at commit."""
    try:
        session.flush()
    except IntegrityError as error:
        raise Uniqueness("userName is already in use") from error


def validate(body: dict, rtype) -> tuple[dict, list[str]]:
    """Validate a POST body as `create` does; returns (data, ignored attribute paths).

    For services.bulk_users, which validates a run of creates before it writes them and
    notes each one's ignored attributes (note_ignored) only when it reaches that one.
    """
    return resource.load(body, rtype, unknown=_unknown(),
                         max_value_length=settings.max_value_length())


def note_ignored(ignored: list[str]) -> None:
    _note_ignored(ignored)
