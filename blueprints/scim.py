"""The SCIM 2.0 API under /scim/v2: authentication, content negotiation, errors, request log.

The routes live in scim_users, scim_groups, scim_bulk and scim_discovery; this module
holds what every SCIM request shares.

The blueprint is registered twice (app.py): at /scim/v2 for the default directory, and at
/scim/v2/<directory> as "scim_directory" for the others, so every route serves every
directory. A token serves its own directory only: on another's URL, or on an unknown
slug, it gets the same 401 (models/directory.py, services/directories.py).
"""

import hashlib
import io
import json
import logging
import re
import time
import uuid

from flask import Blueprint
from flask import current_app
from flask import g
from flask import request
from sqlalchemy.exc import InterfaceError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import NotFound as HTTPNotFound
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import BaseConverter

from blueprints import rate_limits
from scim import params
from scim.cursor import Signer
from scim.discovery import list_response
from scim.errors import InvalidSyntax
from scim.errors import InvalidValue
from scim.errors import NotFound
from scim.errors import PayloadTooLarge
from scim.errors import SCIMError
from scim.errors import TooManyRequests
from scim.errors import Unauthorized
from scim.project import split
from services import directories
from services import errors
from services import tokens
from services.actor import Actor
from services.audit import bodies
from services.audit import requestlog
from services.clock import utcnow
from services.context import current_directory_id
from services.context import current_notes
from services.context import set_directory_id
from services.readmodels import guide

SCIM_JSON = "application/scim+json"
MAX_DEPTH = 32
# Seconds a client waits after a 503 for a database outage.
OUTAGE_RETRY_AFTER = 10
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
# UTF-8 JSON carries those only as escapes (raw NUL is no valid JSON text, and a raw
# surrogate no valid UTF-8); UTF-16 and UTF-32 bodies, with their zero bytes, are walked.
_ESCAPED_BAD_TEXT = re.compile(rb"\\u(0000|d[89a-f])", re.IGNORECASE)

bp = Blueprint("scim", __name__, url_prefix="/scim/v2")
# The same routes for the other directories, at /scim/v2/<slug> (app.py registers both).
DIRECTORY_BLUEPRINT = "scim_directory"
DIRECTORY_PREFIX = "/scim/v2/<slug:directory>"


class SlugConverter(BaseConverter):
    """A segment shaped like a slug (lower case): never an endpoint name, which the
    middleware (web.py) spells with capitals, so /scim/v2/Bulk stays /Bulk's 405."""

    regex = directories.SLUG.pattern


@bp.url_value_preprocessor
def _drop_directory(_endpoint, values) -> None:
    """The views take no directory: `requested_directory` reads it, the token decides it."""
    if values:
        values.pop("directory", None)


def requested_slug() -> str | None:
    """The slug of a /scim/v2/<slug>/... URL; None for the default directory's /scim/v2/...."""
    if request.blueprint != DIRECTORY_BLUEPRINT:
        return None
    return request.path.split("/")[3]


def _bare_root(req) -> bool:
    """Whether this is `/scim/v2/<x>` without a slash.

    That is directory x's Tenant URL (its root search) to x's token, and to anyone else the
    unknown endpoint it always was, whether x exists or not.
    """
    return (req.blueprint == DIRECTORY_BLUEPRINT and req.endpoint.endswith(".search_root")
            and not req.path.endswith("/"))


def requested_directory() -> int | None:
    """The id of the directory the URL names; None for an unknown slug."""
    slug = requested_slug()
    return directories.DEFAULT_ID if slug is None else directories.id_for_slug(slug)


def _rate_key() -> str:
    """Rate limits count per authenticated token id, whatever the spelling of the header.

    Requests without a valid token (answered 401) count per client address.
    """
    try:
        info = _authentication()
    except Exception:  # database trouble: the hook below answers it, not the rate limit
        logging.getLogger(__name__).warning("rate limit counted per address: token check "
                                            "failed", exc_info=True)
        info = None
    if info is None or isinstance(info, Unauthorized):
        return "address:" + (request.remote_addr or "")
    return f"token:{info.id}"


def _authentication():
    """The presented token checked once per request: TokenInfo, or the Unauthorized error.

    The rate limit asks before `authenticate` runs, so the answer is kept in the
    WSGI environ (per request; `g` can outlive a request in tests and the CLI).
    """
    env = request.environ
    if "rollcall.auth" not in env:
        try:
            info = tokens.authenticate(request.headers.get("Authorization"),
                                       current_app.config["SCIM_TOKEN_CACHE_SECONDS"])
            # One answer for another directory's URL and an unknown slug: a token learns
            # nothing about the directories it does not serve.
            if info.directory_id != requested_directory():
                raise tokens.Refused("the bearer token is not valid for this Tenant URL",
                                     "directory", info)
            env["rollcall.auth"] = info
        except Unauthorized as error:
            env["rollcall.auth"] = error
    return env["rollcall.auth"]


def _authenticated() -> bool:
    try:
        return not isinstance(_authentication(), Unauthorized)
    except Exception:  # database trouble: the hook below reports it, not the rate limit
        return False


@bp.before_request
def rate_limit():
    """One budget per token across every SCIM endpoint and Tenant URL (blueprints/rate_limits.py).

    Guessed tokens each get their own key there, so failures also count per client
    address; valid tokens are exempt from that: another client's failures never throttle
    Entra on a shared address.
    """
    counters = rate_limits.counters(current_app)
    if counters is None:
        return
    if not _authenticated():
        counters.check_failures(request.remote_addr or "")
    counters.spend(_rate_key())


@bp.after_request
def count_failed_authentication(response):
    counters = rate_limits.counters(current_app)
    if counters is not None and response.status_code == 401:
        counters.count_failure(request.remote_addr or "")
    return response


@bp.before_request
def check_request():
    # maxPayloadSize (RFC 7644 §3.7.4) bounds every SCIM body, not only /Bulk: Werkzeug
    # answers 413 before reading past it, with or without a Content-Length.
    limits = (current_app.config.get("MAX_CONTENT_LENGTH"), current_app.config["SCIM_MAX_PAYLOAD"])
    request.max_content_length = min(limit for limit in limits if limit)
    if request.environ.get("wsgi.input_terminated") and request.content_length is None:
        _buffer_chunked(request.max_content_length)
    if _BAD_TEXT.search(request.path):
        raise NotFound("no resource has such an id")  # and PostgreSQL cannot even look it up
    if request.method == "OPTIONS" and request.url_rule is not None:
        return _options(request.url_rule)
    return None


def _options(rule):
    """OPTIONS lists the methods of the matched route pattern only (RFC 9110 §9.3.7).

    Werkzeug's answer also lists those of every pattern the path could match: /Users/.search
    is an id to /Users/<id>, which made it advertise GET, PUT, PATCH and DELETE.
    """
    methods = set()
    for other in current_app.url_map.iter_rules():
        if other.rule == rule.rule:
            methods |= other.methods
    response = current_app.response_class(status=200)
    response.headers["Allow"] = ", ".join(sorted(methods))
    return response


def _buffer_chunked(limit: int) -> None:
    """Read a chunked body (no Content-Length), counting as it streams: 413 past `limit`.

    Werkzeug stops reading such a body at the limit and hands on what it read, so a
    body cut short could be accepted; buffered here, the rest of the request reads it
    whole from memory.
    """
    source, data = request.environ["wsgi.input"], bytearray()
    while len(data) <= limit:
        chunk = source.read(min(65536, limit + 1 - len(data)))
        if not chunk:
            break
        data += chunk
    if len(data) > limit:
        raise RequestEntityTooLarge()
    request.environ["wsgi.input"] = io.BytesIO(bytes(data))  # read to its end by Werkzeug


# Routes anyone may read: they hold no secret (the OpenAPI document).
PUBLIC_ENDPOINTS = {"openapi_document"}


@bp.before_request
def authenticate():
    # The app-level hook (blueprints/errors.py) has set g.request_id and g.started.
    g.token = None
    if (request.endpoint or "").rpartition(".")[2] in PUBLIC_ENDPOINTS:
        return
    info = _authentication()
    if isinstance(info, Unauthorized):
        if _bare_root(request):
            raise HTTPNotFound()  # as before directories: /scim/v2/<anything> is no endpoint
        raise info
    g.token = info
    set_directory_id(info.directory_id)  # undone at the request's end (blueprints/errors.py)
    g.actor = Actor("token", str(info.id), info.name)


@bp.before_request
def check_projection():
    # Before any write: a PUT or PATCH must not apply and then answer 400 for its projection.
    projection()


@bp.after_request
def finish(response):
    response.headers["X-Request-Id"] = g.get("request_id", "")
    if response.status_code in (204, 304):
        response.headers.pop("Content-Type", None)  # no content, so no content type
    if response.mimetype == "application/json":
        response.mimetype = SCIM_JSON
    log_request(response)
    return response


@bp.errorhandler(SCIMError)
def scim_error(error: SCIMError):
    g.error = error.detail or error.__class__.__name__
    return error_response(error)


@bp.errorhandler(errors.ServiceError)
def service_error(error: errors.ServiceError):
    return scim_error(errors.to_scim(error))


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    return http_error_response(error)


@bp.errorhandler(OperationalError)
@bp.errorhandler(InterfaceError)
@bp.errorhandler(PoolTimeout)
def database_unavailable(error):
    """503 with Retry-After when the database cannot be reached (RFC 7644 §3.12).

    The request is still logged: the request log spools it until the database is back.
    """
    current_app.logger.warning("database unavailable: %s", type(error).__name__)
    g.error = "the database is unavailable"
    response = error_response(SCIMError("the service is unavailable for a moment; retry later",
                                        status=503))
    response.headers["Retry-After"] = str(OUTAGE_RETRY_AFTER)
    return response


@bp.errorhandler(rate_limits.Exceeded)
def rate_limited(error: rate_limits.Exceeded):
    """429 with Retry-After in seconds (RFC 6585 §4)."""
    detail = f"Too many requests ({error.limit}); retry after {error.retry_after} seconds"
    g.error = detail
    response = error_response(TooManyRequests(detail))
    response.headers["Retry-After"] = str(error.retry_after)
    return response


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
    if error.code == 413 and request.max_content_length:
        scim = PayloadTooLarge(f"the request body is larger than maxPayloadSize "
                               f"({request.max_content_length} bytes)")
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
    :raise InvalidValue: for strings no database column can hold (NUL, lone surrogates).
    """
    raw = request.get_data(cache=True)
    try:
        body = json.loads(raw or b"null")
    except (ValueError, RecursionError) as error:
        raise InvalidSyntax("the request body is not valid JSON") from error
    if not isinstance(body, dict):
        raise InvalidSyntax("the request body must be a JSON object")
    # The walks below run only when the raw text could fail them (a tenth of a write's CPU).
    if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH and _depth(body) > MAX_DEPTH:
        raise InvalidSyntax(f"the request body nests deeper than {MAX_DEPTH} levels")
    if (b"\x00" in raw or _ESCAPED_BAD_TEXT.search(raw)) and _unstorable(body):
        raise InvalidValue("strings must not contain NUL characters or unpaired surrogates")
    return body


def _depth(value, level: int = 1) -> int:
    """The nesting depth of a parsed body: a scalar is 1 deeper than its container."""
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        children = value.values()
    elif isinstance(value, list):
        children = value
    else:
        return level
    deepest = level + 1 if children else level
    for child in children:  # recurse into containers only: a member add is 100 small dicts
        if isinstance(child, (dict, list)):
            deepest = max(deepest, _depth(child, level + 1))
    return deepest


def _unstorable(value) -> bool:
    """Whether any key or string holds NUL or a lone surrogate (escaped as u0000, ud800).

    PostgreSQL rejects both in text and JSONB, and UTF-8 cannot encode a lone surrogate;
    caught here they are a 400, not a 500 from the database (filter.parse does the same).
    """
    if isinstance(value, str):
        return _BAD_TEXT.search(value) is not None
    if isinstance(value, dict):
        return any(_unstorable(k) or _unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_unstorable(v) for v in value)
    return False


def base_url() -> str:
    """The public SCIM base URL of the directory (its Tenant URL).

    PUBLIC_URL when the operator set it, whatever Host says.

    Unset, it comes from the request (ProxyFix makes scheme and host the external ones),
    built from its parts: request.url_root also turns the URL into an IRI, a tenth of a
    lookup's CPU, and a URI is what `location` and `$ref` carry anyway.
    """
    public = current_app.config.get("PUBLIC_URL")
    # A SCIM request's URL names its directory; an admin page shows the current directory's.
    scim = request.blueprint in ("scim", DIRECTORY_BLUEPRINT)
    slug = requested_slug() if scim else guide.tenant_slug()
    prefix = bp.url_prefix if slug is None else f"{bp.url_prefix}/{slug}"
    if public:
        return f"{public.rstrip('/')}{prefix}"
    return f"{request.scheme}://{request.host}{request.root_path.rstrip('/')}{prefix}"


def scim_response(body: dict, status: int = 200, etag: str | None = None):
    response = current_app.response_class(json.dumps(body), status=status, mimetype=SCIM_JSON)
    if etag:
        response.headers["ETag"] = etag
    return response


def search_request(args) -> params.SearchRequest:
    """List/search parameters from the query string or a .search body, with our limits."""
    config = current_app.config
    return params.search_request(args, default_count=config["SCIM_DEFAULT_COUNT"],
                                 max_count=config["SCIM_MAX_RESULTS"])


def cursor_signer() -> Signer:
    """Cursors are signed with the app's secret and live SCIM_CURSOR_TIMEOUT seconds (RFC 9865)."""
    config = current_app.config
    secret = hashlib.sha256(b"scim-cursor:" + str(config["SECRET_KEY"]).encode()).digest()
    return Signer(secret, int(config["SCIM_CURSOR_TIMEOUT"]))


def list_body(resources: list, page, req: params.SearchRequest) -> dict:
    """A ListResponse; with a cursor, nextCursor/previousCursor and no startIndex (RFC 9865 §2)."""
    total, _ = page
    body = list_response(resources, total, req.start_index)
    if req.cursor is not None:
        del body["startIndex"]
        # A one-row lookup (userName eq "…") comes back as a plain (total, rows).
        for name, value in (("nextCursor", getattr(page, "next_cursor", None)),
                            ("previousCursor", getattr(page, "previous_cursor", None))):
            if value:
                body[name] = value
    return body


def projection() -> tuple[list, list]:
    """`attributes` and `excludedAttributes` of a single-resource request (RFC 7644 §3.9)."""
    return split(request.args.get("attributes")), split(request.args.get("excludedAttributes"))


def not_modified(version: int, etag: str):
    """304 when If-None-Match names the current version, else None (RFC 7644 §3.14)."""
    if request.if_none_match and request.if_none_match.contains_weak(str(version)):
        return current_app.response_class(status=304, headers={"ETag": etag})
    return None


def mark(resource_type: str, resource_id: str | None = None) -> None:
    """Name the resource a request is about, for the request log."""
    g.resource_type = resource_type
    g.resource_id = resource_id


def log_request(response) -> None:
    """Add the request's row to the request log (time, token, method, path, status, ...)."""
    token = g.get("token")
    # A refused token (expired, revoked) is named on its 401 row, but never touched.
    named = token or getattr(request.environ.get("rollcall.auth"), "token", None)
    started = g.get("started") or time.perf_counter()
    row = {
        "at": utcnow(),
        "directory_id": current_directory_id() if token else _logged_directory(),
        "request_id": g.get("request_id") or str(uuid.uuid4()),
        "token_id": token.id if token else None,
        "token_name": named.name if named else None,
        "token_prefix": named.prefix if named else None,
        "client_ip": _text(request.remote_addr or "", 64),
        "user_agent": _text(request.headers.get("User-Agent", ""), 512),
        "method": _text(request.method, 10),
        "path": _text(request.full_path.rstrip("?"), 2048),
        "status": response.status_code,
        "duration_ms": int((time.perf_counter() - started) * 1000),
        "resource_type": g.get("resource_type"),
        "resource_id": _text(g.get("resource_id"), 36),
        "error": _text(g.get("error") or None, 1024),
        "notes": [_text(n, 1024) for n in current_notes()] or None,
        # Writes only; redacted and capped by the log writer (services/audit/bodies.py).
        "bodies": _bodies(response) if request.method in bodies.WRITES else None,
    }
    requestlog.writer_for(current_app).record(row, row["token_id"])


def _logged_directory() -> int:
    """A request without a valid token is logged in the directory its URL names, if any."""
    try:
        return requested_directory() or directories.DEFAULT_ID
    except Exception:  # the database is down: the row still goes to the spool
        return directories.DEFAULT_ID


def _bodies(response) -> tuple[str | None, str | None]:
    try:
        sent = request.get_data(cache=True, as_text=True)
    except HTTPException:  # too large to read: the 413 row says so
        sent = None
    return sent, None if response.is_streamed else response.get_data(as_text=True)


def _text(value, limit: int) -> str | None:
    """Fit client-supplied text into its log column: no NUL, no lone surrogate, not too long."""
    if value is None:
        return None
    return _BAD_TEXT.sub("\ufffd", str(value))[:limit]


# Route modules attach to `bp`; imported last because they import it.
from blueprints import openapi  # noqa: E402,F401
from blueprints import scim_bulk  # noqa: E402,F401
from blueprints import scim_discovery  # noqa: E402,F401
from blueprints import scim_groups  # noqa: E402,F401
from blueprints import scim_root  # noqa: E402,F401
from blueprints import scim_users  # noqa: E402,F401
