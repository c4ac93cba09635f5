"""The admin UI under /admin: the blueprint, its gate, the dashboard and the setup guide.

Tokens, custom fields, provisioning rules and the directory live in the admin_* modules,
on the same blueprint.

Every view needs a signed-in person. Auditors read; any write is refused with 403 here,
before the view runs, as well as by `admin_required` on each writing view.
"""

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user

from blueprints import directory_scope
from blueprints.access import reader_required
from extensions import login_manager
from services import admins
from services import custom_fields
from services import rules
from services.audit import requestlog
from services.clock import utcnow
from services.ops import config as ops_config
from services.readmodels import dashboard as dashboard_service
from services.readmodels import guide
from services.readmodels import overview

bp = Blueprint("admin", __name__, url_prefix="/admin")

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
SECTIONS = {"admin_tokens": "admin.tokens", "admin_fields": "admin.fields",
            "admin_settings": "admin.settings", "admin_directory": "admin.directory",
            "admin_events": "admin.events",
            "admin_mappings": "admin.mappings", "admin_admins": "admin.admins",
            "admin_directories": "admin.directories", "admin_orphans": "admin.directory"}


@bp.before_request
def gate():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.must_change_password:
        return redirect(url_for("auth.password"))
    if request.method not in SAFE_METHODS and not current_user.is_admin:
        abort(403)
    return None


@bp.app_context_processor
def navigation():
    """What base.html needs on every page: the menu and whether writes are offered."""
    if not current_user or not current_user.is_authenticated:
        return {"nav": [], "can_write": False}
    if current_user.must_change_password:  # every page but the password form is closed
        return {"nav": [], "can_write": False}
    nav = [("admin.dashboard", "Dashboard"), ("admin.directory", "Directory"),
           ("admin.tokens", "Tokens"), ("admin.fields", "Custom fields"),
           ("admin.settings", "Provisioning rules"), ("admin.setup", "Setup guide"),
           ("admin.mappings", "Mapping workbench")]
    nav.append(("admin.events", "Events"))
    if "audit.index" in current_app.view_functions:
        nav.append(("audit.index", "Audit log"))
    if "admin_health.index" in current_app.view_functions:
        nav.insert(1, ("admin_health.index", "Health"))
    nav.append(("admin.directories", "Directories"))
    if current_user.is_admin:
        nav.append(("admin.admins", "Admins"))
    return {"nav": nav, "nav_active": _active(), "can_write": current_user.is_admin}


def _active() -> str | None:
    """The menu entry of the page: its route module's main endpoint."""
    view = current_app.view_functions.get(request.endpoint or "")
    module = getattr(view, "__module__", "")
    if module.rsplit(".", 1)[-1] in SECTIONS:
        return SECTIONS[module.rsplit(".", 1)[-1]]
    if request.blueprint and request.blueprint != "admin":
        return f"{request.blueprint}.index"  # e.g. every audit page lights "Audit log"
    return request.endpoint


def actor():
    """The signed-in person, as services record them."""
    return admins.actor_for(current_user)


@bp.get("/")
@reader_required
def dashboard():
    everywhere = overview.rows(utcnow(), ops_config.from_mapping(current_app.config))
    return render_template("admin/dashboard.html", summary=dashboard_service.summary(),
                           tenant_url=directory_scope.current_tenant_url(),
                           request_log=requestlog.health(),
                           public_url=current_app.config.get("PUBLIC_URL"),
                           directories=everywhere)


@bp.get("/setup")
@reader_required
def setup():
    recommended, other = guide.mappings()
    current = rules.current()
    matching = current["matching_attribute"]
    return render_template("admin/setup.html", tenant_url=directory_scope.current_tenant_url(),
                           recommended=recommended,
                           other=other, matching=guide.matching_target(matching),
                           matching_rule=matching, custom_urn=custom_fields.urn(),
                           needs_email=current["require_email"] or matching == "email",
                           type_notes=guide.custom_type_notes(recommended))


directory_scope.install(bp)
bp.app_context_processor(directory_scope.template_context)


# Route modules attach to `bp`; imported last because they import it.
from blueprints import admin_admins  # noqa: E402,F401
from blueprints import admin_directories  # noqa: E402,F401
from blueprints import admin_directory  # noqa: E402,F401
from blueprints import admin_events  # noqa: E402,F401
from blueprints import admin_fields  # noqa: E402,F401
from blueprints import admin_mappings  # noqa: E402,F401
from blueprints import admin_orphans  # noqa: E402,F401
from blueprints import admin_settings  # noqa: E402,F401
from blueprints import admin_tokens  # noqa: E402,F401
