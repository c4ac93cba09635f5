"""Provisioning health under /admin/health: connections and cycles, alerts, quirks, chain verify.

Admins and auditors read every page and may run a chain verification; only admins
change the alert channels, send tests or generate the metrics token.
"""

import re
from datetime import timedelta

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user

from blueprints import directory_scope
from blueprints.access import admin_required
from blueprints.access import reader_required
from blueprints.ops_forms import EmailForm
from blueprints.ops_forms import VerifyForm
from blueprints.ops_forms import WebhookForm
from services import admins
from services import audit
from services import tx
from services.audit import requestlog
from services.ops import alerts
from services.ops import board
from services.ops import channels
from services.ops import chart
from services.ops import clock
from services.ops import config as ops_config
from services.ops import delivery
from services.ops import metrics_token
from services.ops import quirks

bp = Blueprint("admin_health", __name__, url_prefix="/admin/health")


@bp.before_request
@reader_required
def gate():
    if current_user.must_change_password:
        return redirect(url_for("auth.password"))
    requestlog.writer_for(current_app).flush()
    tx.discard()  # read the rows the writer just committed
    return None


directory_scope.install(bp)


def settings() -> ops_config.OpsConfig:
    return ops_config.from_mapping(current_app.config)


@bp.get("/")
def index():
    now, cfg = clock.now(), settings()
    snap = board.snapshot(now, cfg)
    since = now - timedelta(hours=cfg.history_hours)
    charts = {h.connection: chart.build(h.cycles, since, now) for h in snap.connections}
    return render_template("admin/health.html", board=snap, charts=charts, cfg=cfg,
                           since=since, verify_form=VerifyForm())


@bp.post("/verify")
def verify():
    """Verify the audit chains now (auditors too: it only reads, and records the result)."""
    if not VerifyForm().validate_on_submit():
        return redirect(url_for("admin_health.index"))
    alerts.verify_chains(tx.engine())
    flash("Audit chains verified: the result is below.", "success")
    back = request.form.get("next", "")
    # Only a path of this site: never a redirect elsewhere.
    if not back.startswith("/") or back.startswith("//") or "\\" in back:
        back = url_for("audit.chain")
    return redirect(back)


@bp.get("/alerts")
def alerts_page():
    return _alerts_page(EmailForm(data=_email_data()), WebhookForm(data=_webhook_data()))


@bp.post("/alerts/email")
@admin_required
def save_email():
    form = EmailForm()
    if not form.validate_on_submit():
        return _alerts_page(form, WebhookForm(data=_webhook_data()), 400)
    channels.save("email", form.enabled.data, form.settings(), form.password.data,
                  admins.actor_for(current_user))
    flash("E-mail settings saved.", "success")
    return redirect(url_for("admin_health.alerts_page"))


@bp.post("/alerts/webhook")
@admin_required
def save_webhook():
    form = WebhookForm()
    if not form.validate_on_submit():
        return _alerts_page(EmailForm(data=_email_data()), form, 400)
    channels.save("webhook", form.enabled.data, {"url": form.url.data.strip()},
                  form.secret.data, admins.actor_for(current_user))
    flash("Webhook settings saved.", "success")
    return redirect(url_for("admin_health.alerts_page"))


@bp.post("/alerts/test/<kind>")
@admin_required
def test_channel(kind):
    if kind not in channels.KINDS or not VerifyForm().validate_on_submit():
        return redirect(url_for("admin_health.alerts_page"))
    sent = delivery.test(kind, clock.now())
    if sent.status == "sent":
        flash(f"Test {kind} sent.", "success")
    else:
        flash(f"The test {kind} failed: {sent.last_error}", "error")
    return redirect(url_for("admin_health.alerts_page"))


@bp.post("/alerts/run")
@admin_required
def run_checks():
    if VerifyForm().validate_on_submit():
        result = alerts.run(clock.now(), settings(), tx.engine())
        flash(f"Checks ran: {len(result.fired)} alert(s) fired, {len(result.cleared)} cleared, "
              f"{result.sent} message(s) sent.", "success")
    return redirect(url_for("admin_health.alerts_page"))


@bp.post("/metrics-token")
@admin_required
def new_metrics_token():
    if not VerifyForm().validate_on_submit():
        return redirect(url_for("admin_health.alerts_page"))
    secret = metrics_token.generate(admins.actor_for(current_user))
    response = current_app.make_response(render_template("admin/metrics_token.html",
                                                         secret=secret))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/quirks")
def quirks_page():
    return render_template("admin/quirks.html", ledger=quirks.ledger(clock.now()))


def _alerts_page(email_form, webhook_form, status: int = 200):
    return render_template("admin/alerts.html", alerts=alerts.recent(),
                           deliveries=delivery.history(), email=channels.describe("email"),
                           webhook=channels.describe("webhook"), email_form=email_form,
                           webhook_form=webhook_form, action_form=VerifyForm(),
                           metrics=metrics_token.describe(current_app.config)), status


def _email_data() -> dict:
    view = channels.describe("email")
    return {"enabled": view.enabled, **view.config}


def _webhook_data() -> dict:
    view = channels.describe("webhook")
    return {"enabled": view.enabled, **view.config}


@bp.app_template_global("cycle_audit_url")
def cycle_audit_url(connection, cycle) -> str:
    """The audit log filtered to one cycle: its time range (until is exclusive) and token."""
    args = {"since": cycle.start.isoformat(timespec="seconds"),
            "until": (cycle.end + timedelta(seconds=1)).isoformat(timespec="seconds")}
    if connection.token_name:
        args["token"] = connection.token_name
    return url_for("audit.index", **args)


@bp.app_template_global("ops_board")
def ops_board():
    """For the dashboard card: the health board now."""
    return board.snapshot(clock.now(), settings(), board.RECENT_HOURS)


_FIRST_RECORD = re.compile(r"^(request-log record|change record) (\d+)")
_RECORD_PAGES = {"request-log record": ("audit.request_detail", "record_id"),
                 "change record": ("audit.change_detail", "record_id")}


@bp.app_template_filter("ops_first_record")
def first_record_url(message: str | None) -> str | None:
    """The page of the first bad record a verify named ("request-log record 12 (seq 5): …")."""
    found = _FIRST_RECORD.match(message or "")
    if not found:
        return None
    endpoint, argument = _RECORD_PAGES[found.group(1)]
    return url_for(endpoint, **{argument: int(found.group(2))})


@bp.app_template_global("ops_token_truth")
def token_truth():
    """For the token pages: every token's clients, colour and use."""
    from services.ops import tokens as ops_tokens

    return ops_tokens.truth(clock.now(), settings())


@bp.app_template_global("ops_chains")
def chains():
    """The audit chains' state, for the verify block on the audit pages."""
    return audit.chain_status()
