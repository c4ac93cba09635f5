"""SCIM /Groups routes (RFC 7644 §3): HTTP in, one service call, HTTP out.

PATCH answers 204 No Content, as Entra expects (entra-scim.md §10: a body listing every
member "isn't advisable"). A PATCH that asks for a projection with `attributes` or
`excludedAttributes` gets 200 with the resource instead (RFC 7644 §3.5.2).
"""

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
from scim.schema import GROUP_TYPE
from services import groups
from services.resources import serialize


@bp.get("/Groups", strict_slashes=False)
def list_groups():
    return _search(request.args)


@bp.post("/Groups/.search")
def search_groups():
    return _search(json_body())


@bp.post("/Groups", strict_slashes=False)
def create_group():
    mark("Group")
    group = groups.create(json_body(), g.actor)
    mark("Group", group.id)
    return _group_response(group, 201, location=True)


@bp.get("/Groups/<group_id>")
def get_group(group_id):
    mark("Group", group_id)
    group = groups.get(group_id)
    return not_modified(group.version, groups.etag(group)) or _group_response(group)


@bp.put("/Groups/<group_id>")
def replace_group(group_id):
    mark("Group", group_id)
    group = groups.replace(group_id, json_body(), g.actor, request.headers.get("If-Match"))
    return _group_response(group)


@bp.patch("/Groups/<group_id>")
def patch_group(group_id):
    mark("Group", group_id)
    group = groups.patch(group_id, json_body(), g.actor, request.headers.get("If-Match"))
    if "attributes" in request.args or "excludedAttributes" in request.args:
        return _group_response(group)
    return current_app.response_class(status=204, headers={"ETag": groups.etag(group)})


@bp.delete("/Groups/<group_id>")
def delete_group(group_id):
    mark("Group", group_id)
    groups.delete(group_id, g.actor, request.headers.get("If-Match"))
    return current_app.response_class(status=204)


def _search(args):
    mark("Group")
    req = search_request(args)
    search = groups.Search(req.filter, req.start_index, req.count, req.sort_by, req.descending,
                         req.cursor, cursor_signer() if req.cursor is not None else None)
    page = groups.search(search, current_app.config["SCIM_MAX_FILTER_LENGTH"])
    total, rows = page
    resources = _resources(rows, req.attributes, req.excluded)
    return scim_response(list_body(resources, page, req))


def _group_response(group, status=200, location=False):
    attributes, excluded = projection()
    body = _resources([group], attributes, excluded)[0]
    response = scim_response(body, status, groups.etag(group))
    if location:  # not body["meta"]: `attributes` may have projected meta away
        response.headers["Location"] = f"{base_url()}/Groups/{group.id}"
    return response


def _resources(rows, attributes, excluded) -> list[dict]:
    """Serialize and project; members are queried only when the projection keeps them."""
    base = base_url()
    wanted = bool(project({"members": True}, GROUP_TYPE, attributes, excluded))
    members = groups.members(rows, base) if wanted else {}
    return [project(serialize.group(row, base, members.get(row.id)), GROUP_TYPE, attributes,
                    excluded) for row in rows]
