"""SCIM /Users routes (RFC 7644 §3): HTTP in, one service call, HTTP out."""

from flask import current_app
from flask import g
from flask import request

from blueprints.scim import base_url
from blueprints.scim import bp
from blueprints.scim import cursor_signer
from blueprints.scim import json_body
from blueprints.scim import list_body
from blueprints.scim import mark
from blueprints.scim import not_modified
from blueprints.scim import projection
from blueprints.scim import scim_response
from blueprints.scim import search_request
from scim.project import project
from services import users
from services.resources import serialize


@bp.get("/Users", strict_slashes=False)
def list_users():
    return _search(request.args)


@bp.post("/Users/.search")
def search_users():
    return _search(json_body())


@bp.post("/Users", strict_slashes=False)
def create_user():
    mark("User")
    user, created = users.create(json_body(), g.actor)
    mark("User", user.id)
    # A POST linked to an existing user updated it: 200, as in /Bulk (RFC 7644 §3.3
    # keeps 201 for a resource the request created).
    # A user this request created is in no group yet: no need to ask the database.
    return _user_response(user, 201 if created else 200, location=True, new=created)


@bp.get("/Users/<user_id>")
def get_user(user_id):
    mark("User", user_id)
    user = users.get(user_id)
    return not_modified(user.version, users.etag(user)) or _user_response(user)


@bp.put("/Users/<user_id>")
def replace_user(user_id):
    mark("User", user_id)
    groups = {} if _response_wants_groups() else None
    user = users.replace(user_id, json_body(), g.actor, request.headers.get("If-Match"), groups)
    return _user_response(user, groups=groups)


@bp.patch("/Users/<user_id>")
def patch_user(user_id):
    mark("User", user_id)
    groups = {} if _response_wants_groups() else None
    user = users.patch(user_id, json_body(), g.actor, request.headers.get("If-Match"), groups)
    return _user_response(user, groups=groups)


@bp.delete("/Users/<user_id>")
def delete_user(user_id):
    mark("User", user_id)
    users.delete(user_id, g.actor, request.headers.get("If-Match"))
    return current_app.response_class(status=204)


def _search(args):
    mark("User")
    req = search_request(args)
    search = users.Search(req.filter, req.start_index, req.count, req.sort_by, req.descending,
                         req.cursor, cursor_signer() if req.cursor is not None else None)
    page = users.search(search, current_app.config["SCIM_MAX_FILTER_LENGTH"])
    total, rows = page
    rtype = users.resource_type()
    with_groups = _wants(rtype, "groups", req.attributes, req.excluded)
    resources = [project(r, rtype, req.attributes, req.excluded)
                 for r in serialize.users(rows, base_url(), with_groups)]
    return scim_response(list_body(resources, page, req))


def _response_wants_groups() -> bool:
    """Whether this request's response shows groups (the write then reads them)."""
    return _wants(users.resource_type(), "groups", *projection())


def _user_response(user, status=200, location=False, new=False, groups=None):
    """`groups`: the user's groups when the service read them ({} for a user just created)."""
    rtype = users.resource_type()
    attributes, excluded = projection()
    with_groups = _wants(rtype, "groups", attributes, excluded)
    if new:
        groups = {}
    rows = serialize.users([user], base_url(), with_groups, groups=groups)
    body = project(rows[0], rtype, attributes, excluded)
    response = scim_response(body, status, users.etag(user))
    if location:  # not body["meta"]: `attributes` may have projected meta away
        response.headers["Location"] = f"{base_url()}/Users/{user.id}"
    return response


def _wants(rtype, name: str, attributes, excluded) -> bool:
    """Whether a projection keeps attribute `name` (to skip queries for what is not shown)."""
    probe = {name: True}
    return bool(project(probe, rtype, attributes, excluded))
