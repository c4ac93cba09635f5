"""Query parameters of SCIM list and search requests (RFC 7644 §3.4.2, §3.4.3, §3.9).

`cursor` (RFC 9865 §2) selects cursor paging: empty for the first page, then a
nextCursor or previousCursor. Sent with `startIndex` it is refused (invalidValue):
the two paging styles cannot both place one page.
"""

import re
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

_MAX_JSON_INTEGER = 2**53 - 1
_DIGITS = re.compile(r"-?[0-9]{1,30}", re.ASCII)
_NAMES = ("filter", "startIndex", "count", "sortBy", "sortOrder", "attributes",
          "excludedAttributes", "cursor")
_CANONICAL = {name.lower(): name for name in _NAMES}


class _AttributeList(fields.Field):
    """A comma-separated string (query string) or a list of strings (POST .search)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list | str):
            raise ValidationError("must be attribute names")
        items = value if isinstance(value, list) else value.split(",")
        if not all(isinstance(item, str) for item in items):
            raise ValidationError("must be attribute names")
        names = [item.strip(" ") for item in items if item.strip(" ")]
        try:
            check_names(names)
        except InvalidValue as error:
            raise ValidationError(error.detail) from error
        return names


class _Whole(fields.Field):
    """An integer in ASCII digits (a leading minus allowed), or a JSON integer.

    RFC 7644 §3.4.2.4 reads a count below 0 as 0. int() alone would also take "٣", "５",
    "1_000", "+5" and " 5". In a .search body, 2.0 is 2 and 1e300 is out of range.
    """

    def _deserialize(self, value, attr, data, **kwargs):
        # JSON has one number type: 2.0 is the integer 2. Past 2**53 numbers lose their
        # precision between implementations (RFC 8259 §6), so 1e300 is out of range.
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if number and abs(value) <= _MAX_JSON_INTEGER and float(value).is_integer():
            return int(value)
        if isinstance(value, str) and _DIGITS.fullmatch(value):
            return int(value)
        raise ValidationError("must be an integer written in ASCII digits")


class SearchRequestSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    filter = fields.String(load_default=None)
    startIndex = _Whole(load_default=1)
    count = _Whole(load_default=None)
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


def _check_schemas(schemas) -> None:
    """:raise InvalidValue: for a `schemas` that is no list of strings."""
    if not (isinstance(schemas, list) and all(isinstance(urn, str) for urn in schemas)):
        raise InvalidValue("schemas must be a list of schema URIs")


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
    if not hasattr(data, "getlist") and "schemas" in data:  # a .search body (RFC 7644 §3.4.3)
        _check_schemas(data["schemas"])
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
