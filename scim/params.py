"""Query parameters of SCIM list and search requests (RFC 7644 §3.4.2, §3.4.3, §3.9).

`cursor` (RFC 9865 §2) selects cursor paging: empty for the first page, then a
nextCursor or previousCursor. Sent with `startIndex` it is refused (invalidValue):
the two paging styles cannot both place one page.
"""

from dataclasses import dataclass

from marshmallow import EXCLUDE
from marshmallow import Schema
from marshmallow import ValidationError
from marshmallow import fields
from marshmallow import pre_load

from scim.cursor import InvalidCursor
from scim.errors import InvalidValue
from scim.project import check_names

# Past this, SQL OFFSET overflows; no real directory is that large.
MAX_START = 2**31

_NAMES = ("filter", "startIndex", "count", "sortBy", "sortOrder", "attributes",
          "excludedAttributes", "cursor")
_CANONICAL = {name.lower(): name for name in _NAMES}


class _AttributeList(fields.Field):
    """A comma-separated string (query string) or a list of strings (POST .search)."""

    def _deserialize(self, value, attr, data, **kwargs):
        items = value if isinstance(value, list) else str(value).split(",")
        if not all(isinstance(item, str) for item in items):
            raise ValidationError("must be attribute names")
        names = [item.strip() for item in items if item.strip()]
        try:
            check_names(names)
        except InvalidValue as error:
            raise ValidationError(error.detail) from error
        return names


class SearchRequestSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    filter = fields.String(load_default=None)
    startIndex = fields.Integer(load_default=1, strict=False)
    count = fields.Integer(load_default=None, strict=False)
    sortBy = fields.String(load_default=None)
    sortOrder = fields.String(load_default="ascending")
    attributes = _AttributeList(load_default=list)
    excludedAttributes = _AttributeList(load_default=list)
    cursor = fields.String(load_default=None, allow_none=True)  # null: no cursor

    @pre_load
    def canonical_names(self, data, **kwargs):
        # Parameter names are matched case-insensitively, like attribute names.
        return {_CANONICAL.get(str(k).lower(), k): v for k, v in dict(data).items()}


# One instance for all requests: building a Schema deep-copies its fields (~0.3 ms), and
# load() keeps no state between calls.
_SCHEMA = SearchRequestSchema()


@dataclass(frozen=True)
class SearchRequest:
    filter: str | None
    start_index: int
    count: int
    sort_by: str | None
    descending: bool
    attributes: list
    excluded: list
    cursor: str | None = None


def search_request(data, *, default_count: int, max_count: int) -> SearchRequest:
    """Validate list parameters; startIndex < 1 means 1 and count is clamped (RFC 7644 §3.4.2.4).

    :raise InvalidValue: for non-numeric startIndex/count, an unknown sortOrder, or
        `cursor` with `startIndex`.
    :raise InvalidCursor: for a cursor that is not text.
    """
    try:
        loaded = _SCHEMA.load(data)
    except ValidationError as error:
        name, messages = next(iter(error.messages.items()))
        kind = InvalidCursor if name == "cursor" else InvalidValue
        raise kind(f"{name}: {'; '.join(map(str, messages))}") from error
    if loaded["cursor"] is not None and _given(data, "startindex"):
        raise InvalidValue("cursor and startIndex cannot be used together: send one paging "
                           "style (RFC 9865 §2)")
    order = loaded["sortOrder"].lower()
    if order not in ("ascending", "descending"):
        raise InvalidValue("sortOrder must be ascending or descending")
    count = loaded["count"] if loaded["count"] is not None else default_count
    return SearchRequest(
        filter=loaded["filter"] or None,
        start_index=min(max(1, loaded["startIndex"]), MAX_START),
        count=min(max(0, count), max_count),
        sort_by=loaded["sortBy"] or None,
        descending=order == "descending",
        attributes=loaded["attributes"],
        excluded=loaded["excludedAttributes"],
        cursor=loaded["cursor"],
    )


def _given(data, name: str) -> bool:
    return any(str(key).lower() == name for key in dict(data))
