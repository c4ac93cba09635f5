"""Values of retired custom fields, kept out of the users' documents (services/custom_fields.py).

A user's `data` holds only what the schema allows today, so validation never meets a value
it cannot place: retiring moves each value to `users.retired_values`, restoring moves it
back. Each moved user gets a new version, as its representation changed.
"""

from sqlalchemy import select

from models import User
from models import utcnow


def shelve(session, urn: str, name: str) -> int:
    """Move `data[urn][name]` of every user to `retired_values[name]`; returns how many."""
    stmt = select(User).where(User.data[(urn, name)].as_string().is_not(None))
    users = list(session.execute(stmt).scalars())
    for user in users:
        extension = dict(user.data[urn])
        value = extension.pop(name)
        data = {k: v for k, v in user.data.items() if k != urn}
        if extension:
            data[urn] = extension
        user.data = data
        user.retired_values = {**(user.retired_values or {}), name: value}
        _touch(user)
    return len(users)


def unshelve(session, urn: str, name: str) -> int:
    """Move `retired_values[name]` of every user back into `data[urn][name]`."""
    stmt = select(User).where(User.retired_values[name].as_string().is_not(None))
    users = list(session.execute(stmt).scalars())
    for user in users:
        kept = dict(user.retired_values)
        value = kept.pop(name)
        user.data = {**user.data, urn: {**user.data.get(urn, {}), name: value}}
        user.retired_values = kept or None
        _touch(user)
    return len(users)


def _touch(user: User) -> None:
    user.version += 1
    user.last_modified = utcnow()
