"""Admin UI accounts: argon2id password hashes, sign-in, password changes, the first admin.

Sessions live on the server (admin_sessions): the cookie holds a random key and a request
is signed in only while the key's row exists, so sign-out, a password change or reset,
"sign out everywhere", disabling and deleting end every copy of a cookie at once.
Sign-in throttling is blueprints/auth.py's job (services/signin_throttle.py); this
module counts failures on the account and writes the change records.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError
from argon2.exceptions import VerificationError
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models import AdminSession
from models import AdminUser
from models import db
from models import utcnow
from models.admin import ROLES
from services import audit
from services import tx
from services.actor import Actor

MIN_PASSWORD = 12
# Longer inputs only make hashing slower, never safer.
MAX_PASSWORD = 1024
FIRST_ADMIN = "admin"
UNKNOWN_ACCOUNT = "(no such account)"

_hasher = PasswordHasher()  # argon2id, RFC 9106's second recommended parameter set
# Verified when the username is unknown, so a miss costs as much time as a wrong password.
_DUMMY = _hasher.hash(secrets.token_urlsafe(16))


class AdminError(ValueError):
    """A request the account rules refuse; the message is fit to show to the person."""


class WrongPassword(AdminError):
    """The current password given to confirm a change is not the account's."""


@dataclass(frozen=True)
class Attempt:
    username: str
    address: str | None


def actor_for(user: AdminUser) -> Actor:
    return Actor("admin", str(user.id), user.username)


def check_password(password: str, username: str = "") -> None:
    """:raise AdminError: when the password breaks the policy (12 to 1024 characters)."""
    if len(password or "") < MIN_PASSWORD:
        raise AdminError(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AdminError(f"a password has at most {MAX_PASSWORD} characters")
    if username and password.strip().lower() == username.strip().lower():
        raise AdminError("the password must not be the username")


def get(user_id) -> AdminUser | None:
    try:
        return db.session.get(AdminUser, int(user_id))
    except (TypeError, ValueError):
        return None


def count() -> int:
    return db.session.execute(select(func.count()).select_from(AdminUser)).scalar()


def all_admins() -> list[AdminUser]:
    return list(db.session.execute(select(AdminUser).order_by(AdminUser.username)).scalars())


def create(username: str, password: str, role: str, actor: Actor,
           must_change: bool = False) -> AdminUser:
    """Add an account.

    :raise AdminError: for a bad username, role or password, or a taken username.
    """
    username = (username or "").strip()
    if not username or len(username) > 100:
        raise AdminError("a username has 1 to 100 characters")
    if role not in ROLES:
        raise AdminError(f"role must be one of {', '.join(ROLES)}")
    check_password(password, username)
    try:
        with tx.write() as session:
            if _by_name(session, username) is not None:
                raise AdminError(f"an account named {username!r} exists already")
            user = AdminUser(username=username, password_hash=_hasher.hash(password), role=role,
                             must_change_password=must_change)
            session.add(user)
            session.flush()
            audit.record(session, actor, "admin.create", "AdminUser", str(user.id), username,
                         {"role": [None, role]})
    except IntegrityError as error:  # a concurrent create of the same name
        raise AdminError(f"an account named {username!r} exists already") from error
    return user


def ensure_first(actor: Actor) -> str | None:
    """Create `admin` with a one-time password when no account exists; returns that password."""
    if count():
        return None
    password = secrets.token_urlsafe(15)
    try:
        create(FIRST_ADMIN, password, "admin", actor, must_change=True)
    except AdminError:  # another process created it first
        return None
    return password


def authenticate(attempt: Attempt, password: str) -> AdminUser | None:
    """Check a sign-in; records `admin.sign_in` or `admin.sign_in_failed` either way."""
    user = _by_name(db.session, attempt.username)
    ok = _verify(user.password_hash if user else _DUMMY, password or "") and user is not None
    ok = ok and user.disabled_at is None
    with tx.write() as session:
        user = _by_name(session, attempt.username)
        if ok and user is not None:
            _signed_in(session, user, password, attempt)
        else:
            _failed(session, user, attempt)
    return user if ok else None


def change_password(user_id: int, current: str, new: str, keep_session: str | None = None
                    ) -> AdminUser:
    """Set a new password after checking the current one; ends every other session.

    :raise WrongPassword: for a wrong current password.
    :raise AdminError: for a new password that breaks the policy.
    """
    with tx.write() as session:
        user = session.get(AdminUser, user_id)
        if user is None or not _verify(user.password_hash, current or ""):
            raise WrongPassword("the current password is not right")
        check_password(new, user.username)
        if _verify(user.password_hash, new):
            raise AdminError("choose a password different from the current one")
        user.password_hash = _hasher.hash(new)
        user.must_change_password = False
        ended = _end_sessions(session, user.id, keep_session)
        audit.record(session, actor_for(user), "admin.password_change", "AdminUser",
                     str(user.id), user.username, {"sessionsEnded": [None, ended]})
    return user


def set_password(username: str, password: str, actor: Actor) -> AdminUser:
    """Reset an account's password from the command line; ends all its sessions.

    :raise AdminError: for an unknown account or a password that breaks the policy.
    """
    with tx.write() as session:
        user = _by_name(session, username)
        if user is None:
            raise AdminError(f"no account named {username!r}")
        check_password(password, user.username)
        user.password_hash = _hasher.hash(password)
        user.must_change_password = False
        user.failed_logins = 0
        ended = _end_sessions(session, user.id)
        audit.record(session, actor, "admin.password_reset", "AdminUser", str(user.id),
                     user.username, {"sessionsEnded": [None, ended]})
    return user


def _by_name(session, username: str) -> AdminUser | None:
    name = (username or "").strip()
    # SQLite's lower() folds ASCII only: the exact name also matches (Élodie, İlkay).
    stmt = select(AdminUser).where(or_(AdminUser.username == name,
                                       func.lower(AdminUser.username) == name.lower()))
    return session.execute(stmt).scalar_one_or_none()


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _signed_in(session, user: AdminUser, password: str, attempt: Attempt) -> None:
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    changes = {"address": [None, attempt.address]}
    if user.failed_logins:
        changes["failedSinceLastSignIn"] = [user.failed_logins, 0]
    user.failed_logins = 0
    user.last_login_at = utcnow()
    audit.record(session, actor_for(user), "admin.sign_in", "AdminUser", str(user.id),
                 user.username, changes)


def _failed(session, user: AdminUser | None, attempt: Attempt) -> None:
    # A name that matches no account is not kept: people sometimes type a password into it.
    name = user.username if user else UNKNOWN_ACCOUNT
    actor = actor_for(user) if user else Actor("anonymous", "", UNKNOWN_ACCOUNT)
    if user is not None:
        user.failed_logins = (user.failed_logins or 0) + 1
        user.last_failed_login_at = utcnow()
    audit.record(session, actor, "admin.sign_in_failed", "AdminUser",
                 str(user.id) if user else None, name, {"address": [None, attempt.address]})


def open_session(user_id: int, lifetime_seconds: int) -> str:
    """A new session for a signed-in account; returns the key the cookie carries."""
    key = secrets.token_urlsafe(32)
    with tx.write() as session:
        now = utcnow()
        session.execute(delete(AdminSession).where(AdminSession.expires_at < now))
        session.add(AdminSession(key_hash=_key_hash(key), admin_id=user_id, created_at=now,
                                 expires_at=now + timedelta(seconds=lifetime_seconds)))
    return key


def session_user(user_id, key: str | None) -> AdminUser | None:
    """The account of a live session: its row exists, is not expired, the account enabled."""
    try:
        user_id = int(user_id)
    except (TypeError, ValueError):
        return None
    if not key:
        return None
    stmt = (select(AdminUser).join(AdminSession, AdminSession.admin_id == AdminUser.id)
            .where(AdminUser.id == user_id, AdminUser.disabled_at.is_(None),
                   AdminSession.key_hash == _key_hash(key), AdminSession.expires_at > utcnow()))
    return db.session.execute(stmt).scalar_one_or_none()


def close_session(key: str | None) -> None:
    """End one session (sign-out): its cookie, and every copy of it, stops working."""
    if key:
        with tx.write() as session:
            session.execute(delete(AdminSession).where(AdminSession.key_hash == _key_hash(key)))


def sign_out_everywhere(user_id: int, actor: Actor, keep_session: str | None = None) -> int:
    """End an account's sessions (but `keep_session`); returns how many ended.

    :raise AdminError: for an unknown account.
    """
    with tx.write() as session:
        user = _required(session, user_id)
        ended = _end_sessions(session, user.id, keep_session)
        audit.record(session, actor, "admin.sign_out_everywhere", "AdminUser", str(user.id),
                     user.username, {"sessionsEnded": [None, ended]})
    return ended


def session_counts() -> dict[int, int]:
    """Live sessions per account id, for the admins page."""
    stmt = (select(AdminSession.admin_id, func.count()).where(AdminSession.expires_at > utcnow())
            .group_by(AdminSession.admin_id))
    return dict(db.session.execute(stmt).all())


def set_disabled(user_id: int, disabled: bool, actor: Actor) -> AdminUser:
    """Disable an account (its sessions end, it cannot sign in) or enable it again.

    :raise AdminError: for an unknown account, or to disable the last active admin.
    """
    with tx.write() as session:
        user = _required(session, user_id)
        if disabled == (user.disabled_at is not None):
            return user
        if disabled:
            _keep_an_admin(session, user, "disable")
            user.disabled_at = utcnow()
            _end_sessions(session, user.id)
        else:
            user.disabled_at = None
        action = "admin.disable" if disabled else "admin.enable"
        audit.record(session, actor, action, "AdminUser", str(user.id), user.username,
                     {"disabled": [not disabled, disabled]})
    return user


def remove(user_id: int, actor: Actor) -> str:
    """Delete an account and its sessions; returns its name. Its change records stay.

    :raise AdminError: for an unknown account, or to delete the last active admin.
    """
    with tx.write() as session:
        user = _required(session, user_id)
        _keep_an_admin(session, user, "delete")
        name = user.username
        _end_sessions(session, user.id)
        audit.record(session, actor, "admin.delete", "AdminUser", str(user.id), name,
                     {"role": [user.role, None]})
        session.delete(user)
    return name


def by_name(username: str) -> AdminUser | None:
    return _by_name(db.session, username)


def _required(session, user_id) -> AdminUser:
    user = session.get(AdminUser, user_id)
    if user is None:
        raise AdminError("no such account")
    return user


def _keep_an_admin(session, user: AdminUser, verb: str) -> None:
    """:raise AdminError: when `user` is the last enabled admin (nobody could manage the rest)."""
    if user.role != "admin" or user.disabled_at is not None:
        return
    others = session.execute(select(func.count()).select_from(AdminUser).where(
        AdminUser.role == "admin", AdminUser.disabled_at.is_(None), AdminUser.id != user.id)
    ).scalar()
    if not others:
        raise AdminError(f"cannot {verb} {user.username!r}: it is the last active admin")


def _end_sessions(session, user_id: int, keep: str | None = None) -> int:
    stmt = delete(AdminSession).where(AdminSession.admin_id == user_id)
    if keep:
        stmt = stmt.where(AdminSession.key_hash != _key_hash(keep))
    return session.execute(stmt).rowcount or 0


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
