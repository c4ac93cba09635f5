"""The directory the admin UI works in, for every page of the admin, audit and health blueprints.

`?directory=<slug>` picks it (so a link names its directory and can be shared) and is kept
in the signed-in person's session; without it the session's choice holds, else the
default directory. The services then read it as the current directory
(services.context), for this request only.
"""

from flask import flash
from flask import g
from flask import request
from flask import session
from flask import url_for
from flask_login import current_user

from blueprints.scim import base_url
from services import context
from services import directories

SESSION_KEY = "directory"


def install(bp) -> None:
    """Scope each request of `bp` to the chosen directory (after the blueprint's own gate)."""
    bp.before_request(enter)
    bp.teardown_request(leave)


def enter() -> None:
    if not current_user.is_authenticated:
        return
    # One query for the directory and the switcher's list: there are a handful.
    choices = {d.slug: d for d in directories.all()}
    asked = request.args.get("directory", "").strip().lower()
    if asked in choices:
        session[SESSION_KEY] = asked
    elif asked:
        flash(f"There is no directory {asked[:64]!r}.", "error")
    chosen = choices.get(session.get(SESSION_KEY, "")) or choices[directories.DEFAULT_SLUG]
    g.directory, g.directory_choices = chosen, list(choices.values())
    g.directory_token = context.set_directory_id(chosen.id)


def leave(_error=None) -> None:
    token = g.pop("directory_token", None)
    if token is not None:
        context.reset_directory_id(token)


def current():
    """The directory of this request (the default one outside the scoped blueprints)."""
    return g.get("directory") or directories.get(directories.DEFAULT_ID)


def tenant_url(slug: str) -> str:
    """A directory's Tenant URL: /scim/v2 for the default one (unchanged), else /scim/v2/<slug>."""
    with context.in_directory(directories.DEFAULT_ID):  # base_url names the current directory
        root = base_url()
    return root if slug == directories.DEFAULT_SLUG else f"{root}/{slug}"


def current_tenant_url() -> str:
    return base_url()


def template_context() -> dict:
    """For base.html: the current directory (switcher, staging banner) and the others."""
    if "directory" not in g or not current_user.is_authenticated:
        return {"directory": None, "directory_choices": [], "directory_names": {}}
    return {"directory": g.directory, "directory_choices": g.directory_choices,
            "directory_names": {d.id: d.name for d in g.directory_choices},
            "switch_action": _switch_action()}


def _switch_action() -> str:
    """Where the switcher goes: this page, in the other directory.

    A page of one user or group (which lives in one directory only) gives way to the dashboard.
    """
    if request.view_args or request.method != "GET":
        return url_for("admin.dashboard")
    return request.path
