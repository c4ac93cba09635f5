"""Users: the verbs of the SCIM Users endpoint, each one transaction with its change record."""

from sqlalchemy import bindparam
from sqlalchemy import select
from sqlalchemy.orm import make_transient_to_detached

from models import User
from models import db
from scim import casefold
from scim import filter as scim_filter
from scim import patch as scim_patch
from scim import query
from scim import resource
from scim.schema import ENTERPRISE
from services import audit
from services import custom_fields
from services import errors
from services import groups
from services import settings
from services import tx
from services.context import current_directory_id
from services.context import note
from services.context import restore_notes
from services.context import saved_notes
from services.groups import reads as memberships
from services.resources import listing
from services.resources.listing import Search
from services.resources.preconditions import check_if_match
from services.users import managers
from services.users import rules
from services.users import store
from services.users import write


def resource_type():
    return custom_fields.user_type()


_USERS = User.__table__
_VISIBLE_BY_ID = select(*_USERS.c).where(_USERS.c.id == bindparam("id"),
                                         _USERS.c.directory_id == bindparam("directory"),
                                         _USERS.c.hidden.is_(False))


def get(user_id: str) -> User:
    """The visible user with this id, detached from the session (a draft for a PATCH).

    Read with Core and made a detached User as if loaded (its history empty, so a write
    sets what changes: write._changed): the ORM's select of one user cost more than a
    tenth of a PATCH's CPU (py-spy, docs/performance.md).
    :raise errors.NotFound: when no visible user has this id.
    """
    row = tx.read_connection().execute(_VISIBLE_BY_ID, {
        "id": user_id, "directory": current_directory_id()}).mappings().first()
    return _draft(row, user_id)


def _locked_draft(session, user_id: str, if_match: str | None) -> User:
    """As `get`, in the write transaction under the row lock (tx.locked_row); If-Match checked."""
    row = tx.locked_row(session, _VISIBLE_BY_ID, {"id": user_id,
                                                  "directory": current_directory_id()})
    user = _draft(row, user_id)
    check_if_match(if_match, etag(user))
    return user


def _draft(row, user_id: str) -> User:
    if row is None:
        raise errors.NotFound(f"User {user_id} not found")
    user = User(**row)
    make_transient_to_detached(user)
    return user


# Entra's matching query, `userName eq "…"` (Microsoft's "Tutorial: Develop and plan
# provisioning for a SCIM endpoint in Microsoft Entra ID", Get User by query): at most
# one row, found by the unique index on its matching key (scim/casefold.py). Built once,
# so SQLAlchemy reuses its compiled form instead of rebuilding the filter's expression
# and its cache key on every request.
_BY_USER_NAME = select(User.id, User.data, User.version, User.created, User.last_modified).where(
    User.directory_id == bindparam("directory"), User.user_name_key == bindparam("name"),
    User.hidden.is_(False))


def search(params: Search, max_filter_length: int = 4096) -> tuple[int, list]:
    """Filter, count and page users in SQL (RFC 7644 §3.4.2).

    The rows are listing.Rows: what services/resources/serialize.py reads, without ORM objects.
    """
    rtype = resource_type()
    tree = scim_filter.parse(params.filter, max_length=max_filter_length) if params.filter else None
    name = scim_filter.equality_value(tree, "username") if tree is not None else None
    if name is not None and params.start_index == 1 and params.count > 0 and not params.cursor:
        found = tx.read_connection().execute(
            _BY_USER_NAME, {"directory": current_directory_id(), "name": casefold.key(name)})
        rows = [listing.Row(*row) for row in found]
        return len(rows), rows
    conditions = [User.hidden.is_(False)]  # built after the lookup's path, which needs none
    if tree is not None:
        conditions.append(query.to_sql(tree, store.resolver(rtype)))
    order = listing.order(params, store.resolver(rtype), User)
    return listing.page(User, conditions, order, params)


def create(body: dict, actor) -> tuple[User, bool]:
    """Create a user from a POST body; returns (user, created).

    With link-on-create on, a POST for an existing user updates the attributes it carries
    (`_link`); a POST naming a hidden user brings it back without its groups (`_revive`).
    Then `created` is False.
    :raise errors.Conflict: when userName (or the matching email) is taken, or when the
        POST's matching keys name different users.
    """
    rtype = resource_type()
    data = _load(body, rtype)
    notes = saved_notes()
    early = _early_create(data, rtype, actor) if _optimistic_attempts() else None
    with tx.write() as session:
        existing = rules.find_existing(session, data)
        if existing is None and early is not None and write.save(session, [early]):
            return early.user, True
        restore_notes(notes)  # an early create not taken: what follows decides anew
        if existing is not None and existing.hidden:
            return _revive(session, existing.id, data, rtype, actor), False
        if existing is not None and settings.get("link_on_create"):
            return _link(session, existing.id, data, rtype, actor), False
        if existing is not None:
            raise errors.Conflict(f"userName {data['userName']!r} is already in use", "userName")
        rules.lock(session, data, was_active=False)
        user = write.new_user()
        change = write.prepare(write.Checks(session, locked=True), user, {}, data, rtype, actor,
                               "user.create", was_active=False, new=True)
        write.save(session, [change])
    return user, True


def _early_create(data: dict, rtype, actor) -> write.Write | None:
    """SQLite: a new user worked out before the write lock, as a PATCH is (see `patch`).

    `create` takes it if, under the lock, the POST names nobody and write.save's checks
    of what the rules decided here still hold. The one writer lock is then held for the
    statements, not for all the work (docs/performance.md, session 8). None when the
    rules refuse it: that is decided under the lock, where a POST naming an existing
    user gets its 409 first.
    """
    try:  # prepare sets the top-level keys it decides (active, manager): a copy of its own
        return write.prepare(write.Checks(db.session, locked=False), write.new_user(), {},
                             dict(data), rtype, actor, "user.create", was_active=False,
                             new=True)
    except errors.ServiceError:
        return None


def _relocked(session, user_id: str) -> User:
    """The user found by a POST, read again under its row lock and detached."""
    user = tx.locked_one(session, select(User).where(User.id == user_id),
                         f"User {user_id} not found", refresh=True)
    session.expunge(user)
    return user


def _revive(session, user_id: str, data: dict, rtype, actor) -> User:
    """A POST naming a hidden user: the account comes back as the POST says, and bare.

    The POST may be a rehire or someone given a reused address: nothing of the old
    account's access comes back (memberships left when it was hidden; any left from
    before that rule are removed here, with their group change records).
    """
    note(f"revived hidden user {user_id}")
    user = _relocked(session, user_id)
    groups.remove_everywhere(session, user.id, actor)
    _replace(session, user, data, rtype, actor, "user.revive", revived=True)
    return user


def _link(session, user_id: str, data: dict, rtype, actor) -> User:
    """Link-on-create: update the attributes the POST carries, keep the rest.

    A POST that changes nothing (a replay) writes nothing and keeps the version.
    """
    user = _relocked(session, user_id)
    after = merged(user.data, data)
    managers.normalise(session, user.data, after)
    if after == user.data:
        note(f"linked POST to existing user {user.id}: nothing changed")
        return user
    note(f"linked POST to existing user {user.id}")
    _replace(session, user, after, rtype, actor, "user.link")
    return user


def merged(stored: dict, sent: dict) -> dict:
    """`stored` updated with what `sent` carries (a linked POST).

    Complex and extension values merge per attribute; anything else, multi-valued
    attributes included, is replaced whole.
    """
    out = dict(stored)
    for key, value in sent.items():
        old = out.get(key)
        both = isinstance(old, dict) and isinstance(value, dict)
        out[key] = merged(old, value) if both else value
    return out


def replace(user_id: str, body: dict, actor, if_match: str | None = None,
            groups_out: dict | None = None) -> User:
    """PUT: replace the user's attributes (RFC 7644 §3.5.1).

    Okta sends PUT without `active` for profile updates: absent means unchanged.
    `groups_out`: see patch.
    """
    rtype = resource_type()
    data = _load(body, rtype)
    with tx.write() as session:
        user = _locked(session, user_id, if_match)
        session.expunge(user)
        _replace(session, user, data, rtype, actor, "user.replace")
        _read_groups(user, groups_out)
    return user


def patch(user_id: str, body: dict, actor, if_match: str | None = None,
          groups_out: dict | None = None) -> User:
    """PATCH: apply a PatchOp, all or nothing (RFC 7644 §3.5.2).

    The PatchOp, its checks and the change record are worked out on the user as read,
    before the write transaction; the write applies only if the user is still at that
    version and the rules decided before the locks still hold (write.save), and
    otherwise the PATCH starts over (optimistic). On SQLite, where writers take turns,
    a PATCH so holds the lock for a few statements, not for all its work. PostgreSQL
    locks rows, not the database: there a PATCH reads under the row lock at once, which
    saves the read's own transaction (BEGIN, ROLLBACK and the pool's ping: three of a
    PATCH's ten round trips).
    `groups_out`, when given, is filled with the user's groups ({id: [(group id,
    displayName, direct)]}) as the write left them, read in its transaction: the
    response needs them, and a transaction of its own cost three more round trips on
    PostgreSQL (docs/performance.md).
    """
    rtype = resource_type()
    operations = scim_patch.operations(body)
    for _ in range(_optimistic_attempts()):
        user = get(user_id)  # detached: the write's rollback cannot expire it
        change = _patched(user, operations, rtype, actor, if_match)
        if change is None:
            _read_groups(user, groups_out)
            return user
        with tx.write() as session:
            if _store(session, change):
                _read_groups(user, groups_out)
                return user
    # Busy user (or PostgreSQL): this attempt reads under the locks; nobody can overtake it.
    with tx.write() as session:
        user = _locked_draft(session, user_id, if_match)
        change = _patched(user, operations, rtype, actor, if_match, session)
        if change is not None:
            _store(session, change)
        _read_groups(user, groups_out)
    return user


def _read_groups(user: User, groups_out: dict | None) -> None:
    if groups_out is not None:
        groups_out.update(memberships.groups_of([user.id]))


PATCH_ATTEMPTS = 3


def _optimistic_attempts() -> int:
    return 0 if db.engine.dialect.name == "postgresql" else PATCH_ATTEMPTS - 1


def _patched(user: User, operations, rtype, actor, if_match: str | None,
             session=None) -> write.Write | None:
    """Apply the PatchOp to a detached user; None (with the notes made) if nothing changed.

    `session`: the write transaction, when the caller holds the rules' locks in it.
    """
    check_if_match(if_match, etag(user))
    before = user.data
    quirks = []
    after, ignored = scim_patch.apply(dict(before), operations, rtype, unknown=_unknown(),
                                      max_value_length=settings.max_value_length(), quirks=quirks)
    for quirk in quirks:
        note(quirk)
    managers.normalise(session or db.session, before, after)
    if after == before:
        _note_ignored(ignored)
        return None
    if session is not None:
        rules.lock(session, after, was_active=user.active)
    checks = write.Checks(session or db.session, locked=session is not None)
    change = write.prepare(checks, user, before, after, rtype, actor, "user.patch",
                           was_active=user.active)
    change.ignored = ignored
    return change


def _store(session, change: write.Write) -> bool:
    """Write a patched user if it is still as it was read; False if not."""
    if not write.save(session, [change]):
        return False
    _note_ignored(change.ignored)
    return True


def delete(user_id: str, actor, if_match: str | None = None) -> None:
    """DELETE: remove the user, or deactivate and hide it when the delete mode says so.

    Either way the user leaves its groups, each with a new version and a change record.
    """
    with tx.write() as session:
        groups.lock_memberships(session, user_id)
        # FOR UPDATE, not the usual FOR NO KEY UPDATE: a write naming this user as its
        # manager holds the row FOR KEY SHARE, so one of the two waits for the other
        # (services/users/managers.py), and _clear_manager then sees every report.
        user = _locked(session, user_id, if_match, for_delete=True)
        groups.remove_everywhere(session, user.id, actor)
        if settings.get("delete_mode") == "deactivate":
            _hide(session, user, actor)
            return
        audit.record(session, actor, "user.delete", write.target(user),
                     audit.diff(user.data, {}))
        _clear_manager(session, user.id, actor)
        session.delete(user)


def _hide(session, user: User, actor) -> None:
    changes = {"hidden": [False, True]}
    if user.active:
        changes["active"] = [True, False]
    user.hidden, user.active = True, False
    user.data = {**user.data, "active": False}
    write.touch(user)
    audit.record(session, actor, "user.hide", write.target(user), changes)


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
        write.touch(report)
        audit.record(session, actor, "user.patch", write.target(report),
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


def _locked(session, user_id: str, if_match: str | None, for_delete: bool = False) -> User:
    """Load the user for update and check If-Match."""
    stmt = select(User).where(User.id == user_id, User.hidden.is_(False))
    user = tx.locked_one(session, stmt, f"User {user_id} not found", key_share=not for_delete)
    check_if_match(if_match, etag(user))
    return user


def _replace(session, user: User, data: dict, rtype, actor, action: str,
             revived: bool = False) -> None:
    """PUT, or a POST linked to `user` (detached, read under its row lock)."""
    before = dict(user.data)
    if "active" not in data and not user.hidden:
        data = {**data, "active": user.active}
    was_active = user.active and not user.hidden
    user.hidden = False
    _check_unique_name(session, data, user.id)
    rules.lock(session, data, was_active)
    change = write.prepare(write.Checks(session, locked=True), user, before, data, rtype,
                           actor, action, was_active=was_active, revived=revived)
    write.save(session, [change])


def _check_unique_name(session, data: dict, user_id: str) -> None:
    stmt = select(User.id).where(User.user_name_key == casefold.key(data["userName"]),
                                 User.id != user_id)
    if session.execute(stmt).first() is not None:
        raise errors.Conflict(f"userName {data['userName']!r} is already in use", "userName")


def validate(body: dict, rtype) -> tuple[dict, list[str]]:
    """Validate a POST body as `create` does; returns (data, ignored attribute paths).

    For services.bulk_users, which validates a run of creates before it writes them and
    notes each one's ignored attributes (note_ignored) only when it reaches that one.
    """
    return resource.load(body, rtype, unknown=_unknown(),
                         max_value_length=settings.max_value_length())


def note_ignored(ignored: list[str]) -> None:
    _note_ignored(ignored)
