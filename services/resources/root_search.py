"""Search across Users and Groups at the service provider's root (RFC 7644 §3.4.3, §3.4.2.1).

One SQL statement: a UNION ALL of the two listing queries, each with the filter
compiled for its own type, ordered by (created, id) or (sort key, id) and paged by
OFFSET (startIndex) or by keyset (cursor, RFC 9865). Nothing is filtered in Python.

Decisions the RFC leaves open:
- The filter is applied to each resource type (§3.4.2.1). A comparison on an
  attribute one type does not have is false for that type (`userName eq "x"`
  finds no group); `not (...)` negates it as usual. An attribute no type has is
  invalidFilter, as on /Users.
- sortBy naming an attribute one type lacks sorts that type's resources as
  having no value (last ascending, first descending: §3.4.2.3).
- Resources of both types interleave in creation order, so a cursor walk stays
  stable while either population changes.
"""

import json
import time

from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import and_
from sqlalchemy import cast
from sqlalchemy import false
from sqlalchemy import func
from sqlalchemy import literal_column
from sqlalchemy import not_
from sqlalchemy import null
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import union_all
from sqlalchemy.types import NullType

from models import Group
from models import User
from models import db
from scim import filter as scim_filter
from scim import query
from scim.errors import InvalidFilter
from scim.errors import InvalidValue
from services import custom_fields
from services.context import current_directory_id
from services.groups import reads as memberships
from services.resources import cursor_pages
from services.resources import listing
from services.resources.cursor_pages import Key
from services.resources.listing import Search  # noqa: F401  (the blueprint's parameters)
from services.users import store as user_store


def search(params: listing.Search, max_filter_length: int = 4096) -> listing.Page:
    """Filter, sort and page Users and Groups together; rows are (resource type, Row).

    :raise InvalidFilter: for a filter naming an attribute neither type has.
    :raise InvalidValue: for a sortBy neither type can sort on.
    """
    kinds, sorts = _prepare(params, max_filter_length)
    if params.cursor is not None:
        return _cursor_page(kinds, sorts, params)
    found = union_all(*(_branch(kind, sort) for kind, sort in zip(kinds, sorts, strict=True)))
    found = found.subquery("everything")
    stmt = (select(found).order_by(*cursor_pages.ordering(_key(found, params)))
            .offset(params.start_index - 1).limit(params.count))
    rows = _rows(stmt) if params.count > 0 else []
    return listing.Page(_count(kinds), [r for r, _ in rows])


def _prepare(params, max_filter_length: int = 4096) -> tuple[list, list]:
    """(the types with the filter compiled into their conditions, their sort expressions)."""
    kinds = _kinds()
    if params.filter:
        tree = scim_filter.parse(params.filter, max_length=max_filter_length)
        _compile(tree, kinds)
    return kinds, _sorts(params, kinds)


def _key(found, params) -> Key:
    return Key(found.c.sort_key, found.c.id, params.descending, nullable=bool(params.sort_by))


def statement(params, position, kinds=None, sorts=None):
    """A cursor page: per type a keyset seek for one page, then the two pages merged.

    Each type's part is limited on its own (a seek on its listing index), so the page
    costs the same wherever the cursor points; the merge sorts at most two pages.
    """
    if kinds is None:
        kinds, sorts = _prepare(params)
    backward = position is not None and position.backward
    parts = []
    for kind, sort in zip(kinds, sorts, strict=True):
        key = Key(sort, kind.model.id, params.descending, nullable=bool(params.sort_by))
        part = _branch(kind, sort).order_by(*cursor_pages.ordering(key, backward))
        if position is not None:
            part = part.where(cursor_pages.beyond(key, position.key, backward))
        parts.append(select(part.limit(params.count + 1).subquery()))
    found = union_all(*parts).subquery("everything")
    order = cursor_pages.ordering(_key(found, params), backward)
    return select(found).order_by(*order).limit(params.count + 1)


class _Kind:
    """One resource type's part of the search: its table, resolver and conditions."""

    def __init__(self, name, model, resolve, conditions):
        self.name, self.model, self.resolve = name, model, resolve
        # Core statements: the directory is a condition (the ORM's scoping does not see them).
        self.conditions = [model.directory_id == current_directory_id(), *conditions]


def _kinds() -> list[_Kind]:
    users = user_store.resolver(custom_fields.user_type())
    # `hidden = false`, not `IS FALSE`: only equality lets PostgreSQL seek on ix_users_listing.
    return [_Kind("User", User, users, [User.hidden == false()]),
            _Kind("Group", Group, memberships.group_resolver, [])]


def _compile(tree, kinds: list[_Kind]) -> None:
    """Add the filter, compiled for each type, to its conditions."""
    unknown: dict[int, list] = {}  # id(leaf) -> [types lacking its attribute, leaf]
    for kind in kinds:
        kind.conditions.append(_node(tree, kind.resolve, unknown))
    for times, node in unknown.values():
        if times == len(kinds):
            raise InvalidFilter(f"no resource type has the attribute in "
                                f"'{scim_filter.to_string(node)}'")


def _node(node, resolve, unknown: dict):
    """The node's SQL for one type; a leaf naming an attribute the type lacks is false."""
    if isinstance(node, scim_filter.And):
        return and_(_node(node.left, resolve, unknown), _node(node.right, resolve, unknown))
    if isinstance(node, scim_filter.Or):
        return or_(_node(node.left, resolve, unknown), _node(node.right, resolve, unknown))
    if isinstance(node, scim_filter.Not):
        return not_(_node(node.expr, resolve, unknown))
    missing = []

    def tracking(path):
        try:
            return resolve(path)
        except InvalidFilter:
            missing.append(path)
            raise

    try:
        return query.to_sql(node, tracking)
    except InvalidFilter:
        if not missing:
            raise
        unknown.setdefault(id(node), [0, node])[0] += 1
        return false()


def _sorts(params, kinds: list[_Kind]) -> list:
    """Each type's sort expression (created without sortBy); None-typed NULL where it lacks one."""
    if not params.sort_by:
        return [kind.model.created for kind in kinds]
    found = []
    for kind in kinds:
        try:
            found.append(cursor_pages.bare(listing.order(params, kind.resolve, kind.model)[0]))
        except (InvalidFilter, InvalidValue) as error:
            found.append(error)
    known = [s for s in found if not isinstance(s, Exception)]
    if not known:
        raise InvalidValue(f"sortBy: {found[0].detail}")
    # CAST, not a bare NULL: PostgreSQL refuses a constant in a branch's ORDER BY.
    # lower(…) has no SQLAlchemy type: the sort key is then text.
    kind = known[0].type if not isinstance(known[0].type, NullType) else String()
    return [cast(null(), kind) if isinstance(s, Exception) else s for s in found]


def _branch(kind: _Kind, sort):
    model = kind.model
    return select(literal_column(f"'{kind.name}'").label("kind"), model.id.label("id"),
                  cast(model.data, Text).label("data"), model.version.label("version"),
                  model.created.label("created"), model.last_modified.label("last_modified"),
                  sort.label("sort_key")).where(*kind.conditions)


def _rows(stmt) -> list:
    """[((resource type, Row), its key)]."""
    found = db.session.connection().execute(stmt).all()
    return [((r.kind, listing.Row(r.id, json.loads(r.data), r.version, r.created,
                                  r.last_modified)), (r.sort_key, r.id)) for r in found]


def _count(kinds: list[_Kind]) -> int:
    counts = [select(func.count()).select_from(kind.model).where(*kind.conditions)
              .scalar_subquery() for kind in kinds]
    return db.session.connection().execute(select(sum(counts[1:], counts[0]))).scalar_one()


def _cursor_page(kinds: list[_Kind], sorts: list, params) -> listing.Page:
    """The page a cursor names (RFC 9865), bounded seeks over both types."""
    text, now = cursor_pages.query_text("*", params), time.time()
    position = params.signer.decode(text, params.cursor, now)
    backward = position is not None and position.backward
    got = _rows(statement(params, position, kinds, sorts)) if params.count > 0 else []
    page, more = got[:params.count], len(got) > params.count
    if backward:
        page.reverse()
    whole = position is None and not more and params.count > 0
    total = len(page) if whole else _count(kinds)
    after, before = cursor_pages.neighbours(position, [k for _, k in page], more)
    return listing.Page(total, [r for r, _ in page],
                        *cursor_pages.signed(params.signer, text, now, after, before))
