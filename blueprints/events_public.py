"""Public event endpoints: the SET signing keys (JWKS) and RFC 8936 poll delivery.

GET /.well-known/jwks.json is the stable, documented address of the public keys that
verify Rollcall's SETs (docs/events.md). POST /events/poll/<subscription id> serves a poll
subscription, authenticated with its own bearer token (only its hash is stored).
"""

import json

from flask import Blueprint
from flask import current_app
from flask import jsonify
from flask import request

from scim.errors import InvalidValue
from services.events import delivery
from services.events import poll
from services.events import signing

bp = Blueprint("events_public", __name__)
JWKS_PATH = "/.well-known/jwks.json"


@bp.get(JWKS_PATH)
def jwks():
    response = jsonify(signing.jwks(current_app.config["SECRET_KEY"]))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.post("/events/poll/<subscription_id>")
def poll_events(subscription_id):
    """RFC 8936 §2.4: acknowledge, then receive SETs; errors as RFC 8936 §2.6 bodies."""
    sub = poll.authenticate(subscription_id, _bearer())
    if sub is None:
        response = jsonify({"err": "authentication_failed",
                            "description": "a valid bearer token for this subscription is needed"})
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="rollcall-events"'
        return response
    try:
        parsed = poll.parse(request.get_json(silent=True) if request.data else {})
    except InvalidValue as error:
        return jsonify({"err": "invalid_request", "description": error.detail}), 400
    options = delivery.settings_from(current_app.config).formats
    wait = float(current_app.config.get("EVENTS_POLL_WAIT", 10))
    # Not jsonify: it sorts keys, and the SETs are listed in position order.
    body = json.dumps(poll.poll(sub, parsed, options, wait), ensure_ascii=False)
    return current_app.response_class(body, mimetype="application/json")


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None
