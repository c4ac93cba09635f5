"""The SCIM 2.0 API under /scim/v2: authentication, content negotiation, errors, request log.

The routes live in scim_users, scim_groups, scim_bulk and scim_discovery; this module
holds what every SCIM request shares.
"""

import hashlib
import json
import time
import uuid

from flask import Blueprint
from flask import current_app
from flask import g
from flask import request
from werkzeug.exceptions import HTTPException

from extensions import limiter
from models import utcnow
from scim.errors import InvalidSyntax
from scim.errors import SCIMError
from scim.errors import Unauthorized
from services import requestlog
from services import tokens
from services.actor import Actor
from services.context import current_notes

SCIM_JSON = "application/scim+json"
MAX_DEPTH = 32

bp = Blueprint("scim", __name__, url_prefix="/scim/v2")


def _rate_key() -> str:
    """Rate limits count per token: the key is a hash of the presented credential."""
    return hashlib.sha256(request.headers.get("Authorization", "").encode()).hexdigest()[:32]


limiter.limit(lambda: current_app.config["SCIM_RATE_LIMIT"], key_func=_rate_key)(bp)


@bp.before_request
def authenticate():
    # The app-level hook (blueprints/errors.py) has set g.request_id and g.started.
    g.token = None
    info = tokens.authenticate(request.headers.get("Authorization"))
    g.token = info
    g.actor = Actor("token", str(info.id), info.name)


@bp.after_request
def finish(response):
    response.headers["X-Request-Id"] = g.get("request_id", "")
    if response.mimetype == "application/json":
        response.mimetype = SCIM_JSON
    _log(response)
    return response


@bp.errorhandler(SCIMError)
def scim_error(error: SCIMError):
    g.error = error.detail or error.__class__.__name__
    return error_response(error)


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    return http_error_response(error)


def error_response(error: SCIMError):
    body = error.to_dict(g.get("request_id"))
    response = current_app.response_class(json.dumps(body), status=error.status,
                                          mimetype=SCIM_JSON)
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="Rollcall SCIM"'
    return response


def http_error_response(error: HTTPException):
    """Routing errors, 405 and 413 as SCIM error bodies, keeping headers such as Allow."""
    scim = SCIMError(error.description or error.name, status=error.code or 500)
    if error.code == 401:
        scim = Unauthorized(error.description)
    response = error_response(scim)
    for key, value in error.get_response().headers.items():
        if key.lower() in ("allow", "retry-after"):
            response.headers[key] = value
    g.error = scim.detail
    return response


def json_body() -> dict:
    """The request body as a JSON object.

    :raise InvalidSyntax: for anything but a JSON object of reasonable nesting.
    """
    raw = request.get_data(cache=True)
    try:
        body = json.loads(raw or b"null")
    except (ValueError, RecursionError) as error:
        raise InvalidSyntax("the request body is not valid JSON") from error
    if not isinstance(body, dict):
        raise InvalidSyntax("the request body must be a JSON object")
    if _depth(body) > MAX_DEPTH:
        raise InvalidSyntax(f"the request body nests deeper than {MAX_DEPTH} levels")
    return body


def _depth(value, level: int = 1) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level)
    return level


def base_url() -> str:
    """The public SCIM base URL (ProxyFix makes request.url_root the external one)."""
    return request.url_root.rstrip("/") + bp.url_prefix


def scim_response(body: dict, status: int = 200, etag: str | None = None):
    response = current_app.response_class(json.dumps(body), status=status, mimetype=SCIM_JSON)
    if etag:
        response.headers["ETag"] = etag
    return response


def mark(resource_type: str, resource_id: str | None = None) -> None:
    """Name the resource a request is about, for the request log."""
    g.resource_type = resource_type
    g.resource_id = resource_id


def _log(response) -> None:
    token = g.get("token")
    started = g.get("started") or time.perf_counter()
    row = {
        "at": utcnow(),
        "request_id": g.get("request_id") or str(uuid.uuid4()),
        "token_id": token.id if token else None,
        "token_name": token.name if token else None,
        "token_prefix": token.prefix if token else None,
        "client_ip": (request.remote_addr or "")[:64],
        "user_agent": (request.user_agent.string or "")[:512],
        "method": request.method,
        "path": request.full_path.rstrip("?")[:2048],
        "status": response.status_code,
        "duration_ms": int((time.perf_counter() - started) * 1000),
        "resource_type": g.get("resource_type"),
        "resource_id": g.get("resource_id"),
        "error": (g.get("error") or None) and str(g.error)[:1024],
        "notes": current_notes() or None,
    }
    requestlog.writer_for(current_app).record(row, row["token_id"])


# Route modules attach to `bp`; imported last because they import it.
from blueprints import scim_discovery  # noqa: E402,F401
from blueprints import scim_users  # noqa: E402,F401
from blueprints import scim_bulk  # noqa: E402,F401
from blueprints import scim_groups  # noqa: E402,F401
