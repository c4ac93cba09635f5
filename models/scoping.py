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

from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.orm import with_loader_criteria

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
    directory_id = current_id()
    # The lambda form: applied to each alias as that alias's column, with `directory_id`
    # a bound parameter of the cached statement (SQLAlchemy's lambda caching).
    state.statement = state.statement.options(*(
        with_loader_criteria(model, lambda cls: cls.directory_id == directory_id,
                             include_aliases=True)
        for model in SCOPED))
