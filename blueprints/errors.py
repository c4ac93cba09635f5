"""App-level error handling: SCIM error bodies under /scim/, HTML pages elsewhere.

Only the app level sees routing errors (404, 405), so requests under /scim/ that match
no route are answered and logged here.
"""

import logging
import time
import uuid

from flask import g
from flask import render_template
from flask import request
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import InternalServerError

from services import errors as service_errors
from services import tx
from services.context import current_directory_id
from services.context import reset_directory_id
from services.context import set_directory_id
from services.context import set_request_id
from services.context import start_notes

log = logging.getLogger("rollcall")
PER_REQUEST = ("request_id", "started", "error", "resource_type", "resource_id", "token", "actor")


def _is_scim() -> bool:
    return request.path.startswith("/scim/") or request.path == "/scim"


def register(app) -> None:
    @app.before_request
    def request_id():
        # g outlives a request when an outer app context is pushed (tests, CLI): start clean.
        for name in ("token", "actor", "error", "resource_type", "resource_id"):
            g.pop(name, None)
        g.request_id = str(uuid.uuid4())
        g.started = time.perf_counter()
        set_request_id(g.request_id)
        start_notes()
        # Whatever directory the request works in (its token's, the admin's choice), the
        # code after it (a test, the CLI) is back in the one before.
        g.directory_reset = set_directory_id(current_directory_id())

    @app.teardown_request
    def end_session(_error=None):
        # End the request's transaction even when an outer app context lives on (tests,
        # CLI), so a later read does not see a stale snapshot.
        tx.end()
        if "directory_reset" in g:
            reset_directory_id(g.pop("directory_reset"))
        # Such an outer context also keeps `g`: forget this request's id, error and resource.
        for key in PER_REQUEST:
            g.pop(key, None)

    @app.after_request
    def log_unrouted(response):
        if _is_scim() and request.blueprint not in ("scim", "scim_directory"):
            from blueprints import scim

            response.headers["X-Request-Id"] = g.get("request_id", "")
            scim.log_request(response)
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if _is_scim():
            from blueprints import scim

            return scim.http_error_response(error)
        if error.code == 403:
            return _forbidden()
        return _page(error.code or 500, error.name, error.description)

    @app.errorhandler(service_errors.NotFound)
    def not_found(error: service_errors.NotFound):
        # Outside /scim/ (which maps service errors itself): an admin page for a gone row.
        return _page(404, "Not Found", error.detail)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        tx.discard()
        log.exception("unhandled error in %s %s", request.method, request.path)
        if _is_scim():
            from blueprints import scim

            return scim.http_error_response(
                InternalServerError("an internal error occurred; it has been logged"))
        return _page(500, "Internal Server Error",
                     "An internal error occurred; it has been logged.",
                     request_id=g.get("request_id"))


def _page(status: int, title: str, description: str | None, **context):
    return render_template("error.html", status=status, title=title,
                           description=description, **context), status


# What a refused request would have done, in the admin's words, by endpoint.
ACTIONS = {
    "admin.create_token": "generate a token", "admin.rotate_token": "rotate a token",
    "admin.revoke_token": "revoke a token", "admin.declare_field": "declare a custom field",
    "admin.edit_field": "edit a custom field", "admin.retire_field": "retire a custom field",
    "admin.save_settings": "change the provisioning rules",
}


def _forbidden():
    """403 saying what the signed-in role may not do, and who can (the admins, by name)."""
    from flask_login import current_user

    from services import admins

    role = getattr(current_user, "role", None)
    action = ACTIONS.get(request.endpoint or "", "make this change")
    names = sorted(a.username for a in admins.all_admins() if a.role == "admin")
    return render_template("error.html", status=403, title="Not allowed for your role",
                           role=role, action=action, admins=names), 403
