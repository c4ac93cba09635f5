"""Conditional writes: If-Match against the resource's current version (RFC 7644 §3.14)."""

from scim.errors import PreconditionFailed


def check_if_match(if_match: str | None, current: str) -> None:
    """:raise PreconditionFailed: when If-Match names no current version (RFC 7644 §3.14)."""
    if not if_match:
        return
    tags = {t.strip() for t in if_match.split(",")}
    if "*" not in tags and current not in tags and current.removeprefix("W/") not in tags:
        raise PreconditionFailed(f"the resource is at version {current}")
