"""Cursor paging of the Users and Groups searches (RFC 9865): one keyset seek per page.

The order is the index paging's: (created, id) on the listing index, or with sortBy
(sort key, id). A page is "the `count` rows after the cursor's key", so rows created
or deleted while a client walks never shift the rows it has not seen yet: nobody is
skipped or repeated (a row whose sort key changes mid-walk may move, as it should).
previousCursor walks the same order backwards and turns the page round.
"""

import json
import time
from typing import NamedTuple

from sqlalchemy import Text
from sqlalchemy import and_
from sqlalchemy import cast
from sqlalchemy import literal
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import tuple_
from sqlalchemy.sql.elements import UnaryExpression

from models import db
from scim.cursor import Position
from services.resources import listing


class Key(NamedTuple):
    """The page order: `primary` (created, or the sort key), then id, ascending."""

    primary: object
    id: object
    descending: bool = False
    nullable: bool = False  # nulls sort last ascending, first descending (RFC 7644 §3.4.2.3)


def page(model, conditions: list, order: list, params) -> "listing.Page":
    """The page a cursor names, with the cursors of its neighbours.

    :raise InvalidCursor, ExpiredCursor: from scim.cursor for a bad or old cursor.
    """
    query, now = query_text(model.__tablename__, params), time.time()
    position = params.signer.decode(query, params.cursor, now)
    key = keys(order, model, params)
    found, stamp = [], None
    if params.count > 0:
        found, stamp = _fetch(model, conditions, key, position, params.count)
    rows = [row for row, _ in found[:params.count]]
    keys_ = [k for _, k in found[:params.count]]
    more = len(found) > params.count
    if position is not None and position.backward:
        rows.reverse()
        keys_.reverse()
    whole = position is None and not more and params.count > 0  # the first page holds all
    total = len(rows) if whole else _total(model, conditions, order, stamp)
    after, before = neighbours(position, keys_, more)
    return listing.Page(total, rows, *signed(params.signer, query, now, after, before))


def query_text(kind: str, params) -> str:
    """What a cursor is bound to: the resource type, filter and order, not the count."""
    return json.dumps([kind, params.filter or "", params.sort_by or "", params.descending])


def keys(order: list, model, params) -> Key:
    if not params.sort_by:
        return Key(model.created, model.id)
    return Key(bare(order[0]), model.id, params.descending, nullable=True)


def bare(term):
    """The sort expression inside ORDER BY's ASC/DESC and NULLS wrappers."""
    while isinstance(term, UnaryExpression) and term.modifier is not None:
        term = term.element
    return term


def _fetch(model, conditions, key: Key, position: Position | None, count: int):
    """[(Row, its key)] for the page and one row more, and the snapshot's stamp."""
    found = db.session.connection().execute(statement(model, conditions, key, position,
                                                      count)).all()
    if not found:
        return [], None
    out = [(listing.Row(r.id, json.loads(r.data), r.version, r.created, r.last_modified),
            (r.sort_key, r.id)) for r in found]
    return out, listing._stamp(found[0])


def statement(model, conditions: list, key: Key, position: Position | None, count: int):
    """The page and one row more: a seek on the listing index, whatever the position."""
    backward = position is not None and position.backward
    where = list(conditions)
    if position is not None:
        where.append(beyond(key, position.key, backward))
    columns = [model.id, cast(model.data, Text).label("data"), model.version, model.created,
               model.last_modified, key.primary.label("sort_key"), *listing._STAMP]
    return select(*columns).where(*where).order_by(*ordering(key, backward)).limit(count + 1)


def ordering(key: Key, backward: bool = False) -> list:
    """ORDER BY terms; backwards every direction and null placement flips."""
    descending = key.descending != backward
    primary = key.primary.desc() if descending else key.primary.asc()
    if key.nullable:
        primary = primary.nulls_first() if descending else primary.nulls_last()
    return [primary, key.id.desc() if backward else key.id.asc()]


def beyond(key: Key, at: tuple, backward: bool = False):
    """Rows strictly after `at` = (primary, id) in the order (before it, backwards)."""
    value, id_ = at
    descending, id_descending = key.descending != backward, backward
    nulls_first = descending  # where nulls sit in this direction
    id_after = key.id < id_ if id_descending else key.id > id_
    if value is None:
        same = and_(key.primary.is_(None), id_after)
        return or_(same, key.primary.is_not(None)) if nulls_first else same
    value = literal(value, key.primary.type)  # typed: SQLAlchemy refuses `< True`
    if descending == id_descending:
        pair, at_pair = tuple_(key.primary, key.id), tuple_(value, literal(id_, key.id.type))
        after = pair < at_pair if descending else pair > at_pair
    else:
        after = or_(key.primary < value if descending else key.primary > value,
                    and_(key.primary == value, id_after))
    if key.nullable and not nulls_first:
        after = or_(after, key.primary.is_(None))
    elif key.nullable:
        after = and_(after, key.primary.is_not(None))
    return after


def signed(signer, query: str, now: float, *positions) -> list:
    """The cursor text of each position (None stays None)."""
    return [p and signer.encode(query, p, now) for p in positions]


def neighbours(position, keys_: list, more: bool):
    """(nextCursor position, previousCursor position) around a page with these keys."""
    if not keys_:
        return None, None
    backward = position is not None and position.backward
    first, last = Position(keys_[0], backward=True), Position(keys_[-1])
    if backward:
        return last, first if more else None
    return (last if more else None), (first if position is not None else None)


def _total(model, conditions, order, stamp) -> int:
    """totalResults, counted once per snapshot stamp (services/resources/listing.py)."""
    memory, key = listing._memory(), listing._query_key(model, conditions, order)
    total = memory.count(key, stamp, 2)
    if total is None:
        total, stamp = listing._count(model, conditions)
        memory.counted(key, total, stamp)
    return total
