"""Provisioning rules: the settings form (services/users/__init__.py applies the rules to SCIM)."""

from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for

from blueprints.access import admin_required
from blueprints.access import reader_required
from blueprints.admin import actor
from blueprints.admin import bp
from blueprints.forms import RulesForm
from services import rules


@bp.get("/settings", endpoint="settings")
@reader_required
def settings_page():
    return _page(RulesForm(data=rules.current()))


@bp.post("/settings")
@admin_required
def save_settings():
    form = RulesForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    try:
        changes = rules.save(form.values(), actor())
    except ValueError as error:
        form.form_errors.append(str(error))
        return _page(form, 400)
    if changes:
        flash(f"Provisioning rules saved. {form.describe(changes)}.", "success")
    else:
        flash("Nothing changed.", "info")
    return redirect(url_for("admin.settings"))


def _page(form: RulesForm, status: int = 200):
    return render_template("admin/settings.html", form=form, current=rules.current()), status
