"""SCIM discovery endpoints (RFC 7644 §4): what this server supports, from the registry."""

from flask import current_app
from flask import url_for

from blueprints.scim import base_url
from blueprints.scim import bp
from blueprints.scim import scim_response
from scim import discovery
from scim.errors import NotFound
from scim.errors import SCIMError
from scim.schema import GROUP_TYPE
from services import custom_fields


def _types():
    return [custom_fields.user_type(), GROUP_TYPE]


@bp.get("/ServiceProviderConfig", strict_slashes=False)
def service_provider_config():
    config = current_app.config
    limits = discovery.Limits(config["SCIM_MAX_RESULTS"], config["SCIM_BULK_MAX_OPERATIONS"],
                              config["SCIM_MAX_PAYLOAD"], config["SCIM_DEFAULT_COUNT"],
                              config["SCIM_CURSOR_TIMEOUT"])
    docs = url_for("scim.service_provider_config", _external=True)
    return scim_response(discovery.service_provider_config(limits, base_url(), docs))


@bp.get("/ResourceTypes", strict_slashes=False)
def resource_types():
    return scim_response(discovery.list_response(discovery.resource_types(_types(), base_url())))


@bp.get("/ResourceTypes/<name>")
def resource_type(name):
    for item in discovery.resource_types(_types(), base_url()):
        if item["id"].lower() == name.lower():
            return scim_response(item)
    raise NotFound(f"no resource type {name!r}")


@bp.get("/Schemas", strict_slashes=False)
def schemas():
    return scim_response(discovery.list_response(discovery.schemas(_types(), base_url())))


@bp.get("/Schemas/<path:schema_id>")
def schema(schema_id):
    for item in discovery.schemas(_types(), base_url()):
        if item["id"].lower() == schema_id.lower():
            return scim_response(item)
    raise NotFound(f"no schema {schema_id!r}")


@bp.route("/Me", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def me():
    raise SCIMError("/Me is not supported: Rollcall authenticates clients, not users", status=501)
