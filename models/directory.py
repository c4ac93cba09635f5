"""Directories: each has its own Tenant URL, tokens, users, groups, rules and custom fields.

The directory a piece of work runs in is a context variable (like the request id): the
SCIM blueprint sets it from the token, the admin UI from its switcher, the CLI from
`--directory`. Rows of the scoped tables take it as their default `directory_id`, and
models/scoping.py adds it to every ORM query over them, so a service cannot forget it.
"""

from contextvars import ContextVar
from datetime import datetime

from sqlalchemy import Boolean
from sqlalchemy import DateTime
from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import event
from sqlalchemy import insert
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from .base import db
from .base import utcnow

DEFAULT_ID = 1
DEFAULT_SLUG = "default"
DEFAULT_NAME = "Default"

_current: ContextVar[int] = ContextVar("directory_id", default=DEFAULT_ID)


def current_id() -> int:
    """The directory of the work in progress; the default directory when none was set."""
    return _current.get()


def set_current(directory_id: int):
    """Make `directory_id` current; returns the token that `reset_current` takes."""
    return _current.set(directory_id)


def reset_current(token) -> None:
    _current.reset(token)


class Directory(db.Model):
    __tablename__ = "directories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    staging: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


def directory_column(foreign_key: bool = True) -> Mapped[int]:
    """The `directory_id` of a scoped row: the current directory unless given.

    Audit rows (change records, the request log, events) outlive a deleted directory, so
    they name it without a foreign key.
    """
    args = (ForeignKey("directories.id"),) if foreign_key else ()
    return mapped_column(Integer, *args, default=current_id, server_default=str(DEFAULT_ID),
                         nullable=False)


@event.listens_for(Directory.__table__, "after_create")
def _default_directory(target, connection, **_kw) -> None:
    """create_all (tests, first runs) gets the default directory, as the migration does."""
    connection.execute(insert(target).values(default_row()))


def default_row() -> dict:
    """The default directory's row; inserted first, it gets id 1 (DEFAULT_ID) on both databases."""
    return {"slug": DEFAULT_SLUG, "name": DEFAULT_NAME, "staging": False, "created_at": utcnow()}
