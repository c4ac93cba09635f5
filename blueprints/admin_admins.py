"""Admins and auditors (admins only): disable, enable, delete, sign out everywhere.

Each action is a POST with a CSRF token and a change record (services/admins.py).
"""

from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_login import current_user

from blueprints.access import admin_required
from blueprints.admin import actor
from blueprints.admin import bp
from blueprints.forms import ConfirmForm
from services import admins

ACTIONS = {
    "disable": lambda user_id: admins.set_disabled(user_id, True, actor()),
    "enable": lambda user_id: admins.set_disabled(user_id, False, actor()),
    "delete": lambda user_id: admins.remove(user_id, actor()),
    "sign-out": lambda user_id: admins.sign_out_everywhere(user_id, actor()),
}
DONE = {"disable": "is disabled and signed out", "enable": "is enabled",
        "delete": "is deleted", "sign-out": "is signed out everywhere"}


@bp.get("/admins", endpoint="admins")
@admin_required
def admins_page():
    return render_template("admin/admins.html", accounts=admins.all_admins(),
                           sessions=admins.session_counts(), form=ConfirmForm(),
                           me=current_user.id)


@bp.post("/admins/<int:account_id>/<action>")
@admin_required
def admin_action(account_id, action):
    if action not in ACTIONS:
        abort(404)
    form = ConfirmForm()
    account = admins.get(account_id)
    if not form.validate_on_submit() or account is None:
        flash("That account is gone, or the form expired; try again.", "error")
        return redirect(url_for("admin.admins")), 303
    name = account.username
    try:
        ACTIONS[action](account_id)
    except admins.AdminError as error:
        flash(str(error).capitalize() + ".", "error")
        return redirect(url_for("admin.admins")), 303
    flash(f"{name} {DONE[action]}.", "success")
    return redirect(url_for("admin.admins")), 303
