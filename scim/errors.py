"""SCIM protocol errors (RFC 7644 §3.12), one class per scimType of Table 9."""

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


class SCIMError(Exception):
    """A failure the client caused or must see, rendered as a SCIM error body."""

    status = 400
    scim_type: str | None = None

    def __init__(self, detail: str = "", status: int | None = None):
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status

    def to_dict(self, request_id: str | None = None) -> dict:
        detail = self.detail or self.__class__.__doc__.splitlines()[0]
        if request_id:
            detail = f"{detail} (request id {request_id})"
        body = {"schemas": [ERROR_SCHEMA], "status": str(self.status), "detail": detail}
        if self.scim_type:
            body["scimType"] = self.scim_type
        return body


class InvalidFilter(SCIMError):
    """The filter syntax is invalid or the filter names an unsupported attribute."""

    scim_type = "invalidFilter"


class TooMany(SCIMError):
    """The filter would return more results than the server allows."""

    scim_type = "tooMany"


class Uniqueness(SCIMError):
    """One or more unique attribute values are already in use."""

    status = 409
    scim_type = "uniqueness"


class Mutability(SCIMError):
    """The request tries to change an immutable or read-only attribute."""

    scim_type = "mutability"


class InvalidSyntax(SCIMError):
    """The request body is not valid JSON or not a valid SCIM message."""

    scim_type = "invalidSyntax"


class InvalidPath(SCIMError):
    """The PATCH path is invalid or unsupported."""

    scim_type = "invalidPath"


class NoTarget(SCIMError):
    """The PATCH path matched no attribute or sub-attribute."""

    scim_type = "noTarget"


class InvalidValue(SCIMError):
    """A required value is missing or a value is not compatible with its attribute."""

    scim_type = "invalidValue"


class InvalidVersion(SCIMError):
    """The SCIM protocol version is not supported."""

    scim_type = "invalidVers"


class Sensitive(SCIMError):
    """The request cannot be completed because it would expose sensitive data."""

    status = 403
    scim_type = "sensitive"


class Unauthorized(SCIMError):
    """Authorization failure: the bearer token is missing, wrong, expired or revoked."""

    status = 401


class NotFound(SCIMError):
    """The resource was not found."""

    status = 404


class PreconditionFailed(SCIMError):
    """The resource changed: the If-Match version no longer matches."""

    status = 412


class PayloadTooLarge(SCIMError):
    """The request body or the number of bulk operations exceeds the server's limit."""

    status = 413


class TooManyRequests(SCIMError):
    """Too many requests: slow down and retry after the time in Retry-After."""

    status = 429
