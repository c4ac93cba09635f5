"""Provisioning rules (admin settings) as they apply to SCIM user writes.

The rules follow what SaaS peers do: CybSafe's licence limit creates users deactivated,
SAFE requires an email and matches on it, Kantega and CybSafe link a POST to an existing user.
"""

from sqlalchemy import func
from sqlalchemy import select

from models import User
from models import UserValue
from scim import casefold
from scim.errors import InvalidValue
from scim.errors import Uniqueness
from services import settings
from services.context import note


def admit(session, user: User, data: dict, was_active: bool) -> None:
    """Seat limit: a user beyond it is kept, deactivated, and marked as waiting for a seat."""
    limit = settings.get("seat_limit")
    wants_active = data.get("active", True) is not False
    user.seat_waiting = False
    if not limit or not wants_active or was_active:
        return
    active = session.execute(
        select(func.count()).select_from(User).where(User.active.is_(True), User.hidden.is_(False))
    ).scalar()
    if active >= limit:
        data["active"] = False
        user.seat_waiting = True
        note(f"seat limit of {limit} reached: user kept deactivated, waiting for a seat")


def require_email(data: dict) -> None:
    if settings.get("require_email") and not any(e.get("value") for e in data.get("emails", [])):
        raise InvalidValue("an email address is required (provisioning rule)")


def find_existing(session, data: dict) -> User | None:
    """The user a POST collides with: by userName, or by email/externalId for linking."""
    stmt = select(User).where(User.user_name_key == casefold.key(data["userName"]))
    user = session.execute(stmt).scalar_one_or_none()
    if user is not None or not settings.get("link_on_create"):
        return user
    email = work_email(data)
    if email:
        stmt = select(User).join(UserValue).where(
            UserValue.attr == "emails", UserValue.value_key == casefold.key(email))
        user = session.execute(stmt.limit(1)).scalar_one_or_none()
    if user is None and data.get("externalId"):
        stmt = select(User).where(User.external_id == data["externalId"])
        user = session.execute(stmt.limit(1)).scalar_one_or_none()
    return user


def check_email_unique(session, data: dict, user_id: str | None) -> None:
    """With email as the matching attribute, a work email belongs to one user."""
    if settings.get("matching_attribute") != "email":
        return
    email = work_email(data)
    if not email:
        return
    stmt = select(UserValue.user_id).where(UserValue.attr == "emails",
                                           UserValue.value_key == casefold.key(email))
    if user_id is not None:
        stmt = stmt.where(UserValue.user_id != user_id)
    if session.execute(stmt.limit(1)).first() is not None:
        raise Uniqueness(f"email {email!r} is already in use")


def work_email(data: dict) -> str | None:
    emails = data.get("emails") or []
    for rule in (lambda e: e.get("type") == "work", lambda e: e.get("primary"), lambda e: True):
        for entry in emails:
            if rule(entry) and entry.get("value"):
                return entry["value"]
    return None
