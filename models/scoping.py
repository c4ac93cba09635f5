"""Every ORM statement over a directory's rows sees the current directory only.

One listener (SQLAlchemy's `do_orm_execute` with `with_loader_criteria`) adds
`directory_id = <current>` to each ORM SELECT, UPDATE and DELETE that reads a scoped
model, its joins, relationship loads and `Session.get` included, so no service query can
forget it. New rows take the current directory as their column default
(models/directory.py). What this does not see: Core statements on `Model.__table__` and
text SQL, which name the directory themselves.

A statement that must span directories (a token lookup, the dashboard's overview) says
so: `.execution_options(all_directories=True)`.
"""

import functools
import weakref

from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.orm import with_loader_criteria
from sqlalchemy.sql.util import find_tables

from .audit import ChangeRecord
from .audit import RequestLog
from .custom_field import CustomField
from .directory import current_id
from .group import Group
from .token import ApiToken
from .user import User
from .user import UserValue

SCOPED = (User, UserValue, Group, ApiToken, CustomField, ChangeRecord, RequestLog)
ALL_DIRECTORIES = {"all_directories": True}


@event.listens_for(Session, "do_orm_execute")
def _scope(state) -> None:
    if state.execution_options.get("all_directories"):
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    statement, directory_id = state.statement, current_id()
    per_directory = _scoped.get(statement)
    if per_directory is None:
        per_directory = _scoped[statement] = {}
    scoped = per_directory.get(directory_id)
    if scoped is None:
        scoped = per_directory[directory_id] = statement.options(*_criteria(
            directory_id, _models_in(statement)))
    state.statement = scoped


# {statement: {directory id: the statement with its criteria}}. A statement built once
# (the hot paths' are) so keeps one scoped copy per directory, and with it SQLAlchemy's
# memoized cache key: a new copy per execution cost a lookup 0.2 ms of CPU to key again.
# A statement built per request still pays the walk, the copy and the key (≈ 240 Python
# calls), so a hot path builds its statements once with bound parameters.
_scoped: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _models_in(statement) -> tuple:
    """The scoped models whose tables the statement reads or writes, subqueries included.

    SQLAlchemy adapts each criteria option on every execution, so only those get one.
    """
    tables = set(find_tables(statement, include_aliases=True, include_joins=True,
                             include_crud=True))
    return tuple(model for model in SCOPED if model.__table__ in tables)


@functools.cache
def _criteria(directory_id: int, models: tuple) -> tuple:
    """The options for one directory and set of models, built once.

    Plain expressions, not SQLAlchemy's lambda form: that re-evaluates its lambda on every
    execution (a third of a lookup's CPU). So they scope a model, not its aliases, whose
    rows the queries reach through ids read in the directory (a nested group's members).
    """
    return tuple(with_loader_criteria(model, model.directory_id == directory_id)
                 for model in models)
