"""The errors services raise, in the domain's words, each mapped once by its caller.

A service says what went wrong (not found, conflict, invalid, with the field at fault)
and never how to answer it: the SCIM blueprint maps these to SCIM errors with `to_scim`
(RFC 7644 §3.12), which /Bulk applies per operation too; the admin views put them on
their forms (blueprints/admin_forms.py `show`); the CLI prints them (commands.py `_fail`).
Errors of the protocol itself (a bad filter, path or body) stay scim.errors.
"""

from scim import errors as scim_errors


class ServiceError(Exception):
    """A request a service refused; `detail` reads well on its own, `field` names the input."""

    def __init__(self, detail: str, field: str | None = None):
        super().__init__(detail)
        self.detail = detail
        self.field = field


class NotFound(ServiceError):
    """No such resource (or not visible to the caller)."""


class Conflict(ServiceError):
    """The write would break a uniqueness rule (a name, a work email) held by another row."""


class Invalid(ServiceError):
    """A value the rules refuse: a missing or unknown reference, a value too long, ..."""


def to_scim(error: Exception) -> scim_errors.SCIMError:
    """The SCIM error for a service error; SCIM errors pass through unchanged."""
    if isinstance(error, scim_errors.SCIMError):
        return error
    if isinstance(error, NotFound):
        return scim_errors.NotFound(error.detail)
    if isinstance(error, Conflict):
        return scim_errors.Uniqueness(error.detail)
    return scim_errors.InvalidValue(error.detail)
