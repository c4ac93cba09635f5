"""The orphan report of the current directory, and the admins' bulk deactivation of orphans."""

from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for

from blueprints import trail
from blueprints.access import admin_required
from blueprints.access import reader_required
from blueprints.admin import actor
from blueprints.admin import bp
from blueprints.admin_health import settings as ops_settings
from blueprints.directory_forms import DeactivateForm
from blueprints.directory_forms import OrphanFilterForm
from services.clock import utcnow
from services.readmodels import orphans
from services.users import deactivation


@bp.get("/orphans", endpoint="orphans")
@reader_required
def orphans_page():
    form = OrphanFilterForm(request.args)
    days = form.days.data if form.validate() and form.days.data else 90
    now = utcnow()
    full = orphans.last_full_cycle(now, ops_settings().gap)
    unread = orphans.unread(full, _number("page")) if full else None
    trail.viewed("directory", "orphans")
    return render_template("admin/orphans.html", form=form, days=days, full=full,
                           unread=unread, untouched=orphans.untouched(days, now, _number("upage")),
                           share=orphans.FULL_SHARE, history_days=orphans.HISTORY.days,
                           deactivate_form=DeactivateForm(), limit=deactivation.MAX_USERS)


@bp.post("/orphans/deactivate")
@admin_required
def deactivate_orphans():
    form = DeactivateForm()
    chosen = request.form.getlist("user")
    if not form.validate_on_submit() or not chosen:
        flash("Choose the users to deactivate.", "error")
        return redirect(url_for("admin.orphans", **_kept_args()), 303)
    changed = deactivation.deactivate(chosen, actor())
    flash(f"{len(changed)} user{'' if len(changed) == 1 else 's'} deactivated, each with its "
          "own change record in the audit log.", "success")
    if len(chosen) > deactivation.MAX_USERS:
        flash(f"Only the first {deactivation.MAX_USERS} chosen were taken: choose the rest "
              "again.", "warning")
    return redirect(url_for("admin.orphans", **_kept_args()), 303)


def _kept_args() -> dict:
    return {k: v for k, v in request.form.items() if k in ("days",) and v}


def _number(name: str) -> int:
    return max(1, min(request.args.get(name, 1, type=int), 1_000_000))
