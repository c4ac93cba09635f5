"""Search across resource types at the SCIM root (RFC 7644 §3.4.3): GET /?filter= and POST /.search.

Entra's tenant URL forms reach here too: /scim/v2, /scim/v2/ and /scim/v2/?aadOptscim062020
(a flag without a value, ignored like any unknown parameter).
"""

from flask import current_app
from flask import request

from blueprints.scim import base_url
from blueprints.scim import bp
from blueprints.scim import cursor_signer
from blueprints.scim import json_body
from blueprints.scim import list_body
from blueprints.scim import scim_response
from blueprints.scim import search_request
from scim.project import project
from scim.schema import GROUP_TYPE
from services import groups
from services import users
from services.resources import root_search
from services.resources import serialize


@bp.get("/", strict_slashes=False)
def search_root():
    return _search(request.args)


@bp.post("/.search")
def search_root_post():
    return _search(json_body())


def _search(args):
    req = search_request(args)
    search = root_search.Search(req.filter, req.start_index, req.count, req.sort_by,
                                req.descending, req.cursor,
                                cursor_signer() if req.cursor is not None else None)
    page = root_search.search(search, current_app.config["SCIM_MAX_FILTER_LENGTH"])
    _, rows = page
    return scim_response(list_body(_resources(rows, req.attributes, req.excluded), page, req))


def _resources(rows, attributes, excluded) -> list[dict]:
    """Users and groups serialized as on their own endpoints, in the search's order."""
    base, user_type = base_url(), users.resource_type()
    user_rows = [row for kind, row in rows if kind == "User"]
    group_rows = [row for kind, row in rows if kind == "Group"]
    with_groups = bool(project({"groups": True}, user_type, attributes, excluded))
    with_members = bool(project({"members": True}, GROUP_TYPE, attributes, excluded))
    shown = {r["id"]: r for r in serialize.users(user_rows, base, with_groups)}
    members = groups.members(group_rows, base) if with_members else {}
    out = []
    for kind, row in rows:
        if kind == "User":
            out.append(project(shown[row.id], user_type, attributes, excluded))
        else:
            out.append(project(serialize.group(row, base, members.get(row.id)), GROUP_TYPE,
                               attributes, excluded))
    return out
