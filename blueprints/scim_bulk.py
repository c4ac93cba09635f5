"""SCIM /Bulk (RFC 7644 §3.7): the body is size-checked, then handed to services.bulk."""

from flask import current_app
from flask import g
from flask import request

from blueprints.scim import base_url
from blueprints.scim import bp
from blueprints.scim import json_body
from blueprints.scim import mark
from blueprints.scim import scim_response
from services import bulk


@bp.post("/Bulk", strict_slashes=False)
def bulk_request():
    mark("Bulk")
    config = current_app.config
    # maxPayloadSize (RFC 7644 §3.7.4): Werkzeug answers 413 past it, with or without a
    # Content-Length, before the body is read.
    request.max_content_length = config["SCIM_MAX_PAYLOAD"]
    body = bulk.process(json_body(), g.actor, base_url(), config["SCIM_BULK_MAX_OPERATIONS"])
    return scim_response(body)
