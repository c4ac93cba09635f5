"""The OpenAPI 3.1 description of this SCIM API, served from openapi/scim.json."""

import json
import os
from functools import cache

from flask import current_app

from blueprints.scim import bp
from blueprints.scim import mark
from blueprints.scim import requested_slug
from blueprints.scim import scim_response


@cache
def _document(root: str) -> dict:
    with open(os.path.join(root, "openapi", "scim.json"), encoding="utf-8") as f:
        return json.load(f)


@bp.get("/openapi.json")
def openapi_document():
    mark("OpenAPI")
    document, slug = _document(current_app.root_path), requested_slug()
    if slug is not None:  # a directory's copy names its own Tenant URL
        document = {**document, "servers": [{"url": f"/scim/v2/{slug}",
                                             "description": "This directory's Tenant URL"}]}
    response = scim_response(document)
    response.mimetype = "application/vnd.oai.openapi+json"  # IANA-registered; not SCIM
    return response
