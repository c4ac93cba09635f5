"""Paging and sorting shared by the Users and Groups searches (RFC 7644 §3.4.2.3–§3.4.2.4)."""

from sqlalchemy import func
from sqlalchemy import select

from models import db
from scim import filter as scim_filter
from scim import query
from scim.errors import InvalidPath
from scim.errors import InvalidValue


def page(model, conditions: list, order: list, params) -> tuple[int, list]:
    """(totalResults, rows of the page); the count query is skipped when the page holds all."""
    rows = []
    if params.count > 0:
        stmt = (select(model).where(*conditions).order_by(*order)
                .offset(params.start_index - 1).limit(params.count))
        rows = list(db.session.execute(stmt).scalars())
    if params.start_index == 1 and len(rows) < params.count:
        return len(rows), rows
    total = db.session.execute(select(func.count()).select_from(model).where(*conditions)).scalar()
    return total, rows


def order(params, resolve, model) -> list:
    """ORDER BY for sortBy/sortOrder, or creation order; the id breaks ties so pages are stable.

    :raise InvalidValue: for a sortBy that is not an attribute path.
    """
    if not params.sort_by:
        return [model.created, model.id]
    try:
        path = scim_filter.parse_path(params.sort_by).attr
    except InvalidPath as error:
        raise InvalidValue(f"sortBy: {error.detail}") from error
    return [query.order_by(path, resolve, params.descending), model.id]
