"""Event subscriptions in the admin UI (docs/events.md).

The list with lag, create (the secret shown once), the delivery log, pause, resume, delete,
redeliver one event, replay from a position or a time. Admins change; auditors read (the
admin gate refuses their POSTs).
"""

from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField
from wtforms import IntegerField
from wtforms import SelectField
from wtforms import StringField
from wtforms.validators import NumberRange
from wtforms.validators import Optional

from blueprints.access import admin_required
from blueprints.access import reader_required
from blueprints.admin import actor
from blueprints.admin import bp
from blueprints.events_public import JWKS_PATH
from blueprints.forms import ConfirmForm
from scim.errors import NotFound
from scim.errors import SCIMError
from services.events import subscriptions


class SubscriptionForm(FlaskForm):
    name = StringField("Name", validators=[Optional()], filters=[lambda v: v or None])
    method = SelectField("Delivery", choices={"push": "Push to a URL",
                                              "poll": "Poll (RFC 8936, SETs only)"})
    format = SelectField("Format", choices={"standard-webhooks": "Standard Webhooks JSON",
                                            "set": "RFC 9967 SETs (signed JWS)"})
    url = StringField("Receiver URL", validators=[Optional()], filters=[lambda v: v or None])
    events = StringField("Events", validators=[Optional()],
                         description="e.g. user.*, group.delete, deactivate; empty for all")


class ReplayForm(FlaskForm):
    position = IntegerField("From position", validators=[Optional(), NumberRange(min=1)])
    since = DateTimeLocalField("Or from time (UTC)", validators=[Optional()])


@bp.get("/events", endpoint="events")
@reader_required
def events_page():
    return _list(SubscriptionForm())


@bp.post("/events")
@admin_required
def create_subscription():
    form = SubscriptionForm()
    if not form.validate_on_submit():
        return _list(form, 400)
    try:
        sub, secret = subscriptions.subscribe(
            actor(), current_app.config["SECRET_KEY"], form.format.data, form.url.data,
            form.method.data, form.events.data, form.name.data)
    except SCIMError as error:
        form.url.errors = [*form.url.errors, error.detail]
        return _list(form, 400)
    return render_template("admin/events_created.html", sub=sub, secret=secret)


def _list(form, status=200):
    return render_template("admin/events.html", form=form, rows=subscriptions.overview(),
                           jwks_path=JWKS_PATH,
                           unsequenced=subscriptions.unsequenced()), status


@bp.get("/events/<subscription_id>", endpoint="event_subscription")
@reader_required
def subscription_page(subscription_id):
    return _detail(subscription_id, ReplayForm())


def _detail(subscription_id, replay_form, status=200):
    sub = _get(subscription_id)
    return render_template("admin/events_subscription.html", sub=sub,
                           lag=subscriptions.lag(sub.id),
                           log=subscriptions.delivery_log(sub.id), replay=replay_form,
                           confirm=ConfirmForm()), status


def _get(subscription_id):
    try:
        return subscriptions.get(subscription_id)
    except NotFound:
        abort(404)


@bp.post("/events/<subscription_id>/pause")
@admin_required
def pause_subscription(subscription_id):
    return _act(subscription_id, lambda: subscriptions.set_paused(subscription_id, True, actor()),
                "paused: its events queue up")


@bp.post("/events/<subscription_id>/resume")
@admin_required
def resume_subscription(subscription_id):
    return _act(subscription_id,
                lambda: subscriptions.set_paused(subscription_id, False, actor()),
                "resumed: queued events go out in order")


@bp.post("/events/<subscription_id>/delete")
@admin_required
def delete_subscription(subscription_id):
    _get(subscription_id)
    if ConfirmForm().validate_on_submit():
        subscriptions.delete(subscription_id, actor())
        flash("Subscription deleted.", "success")
    return redirect(url_for("admin.events"))


@bp.post("/events/<subscription_id>/deliveries/<int:delivery_id>/redeliver")
@admin_required
def redeliver_event(subscription_id, delivery_id):
    return _act(subscription_id,
                lambda: subscriptions.redeliver(subscription_id, delivery_id, actor()),
                "will send that event again")


@bp.post("/events/<subscription_id>/replay")
@admin_required
def replay_events(subscription_id):
    form = ReplayForm()
    if not form.validate_on_submit() or (form.position.data is None and form.since.data is None):
        if not form.errors:
            form.position.errors = ["Give a position or a time."]
        return _detail(subscription_id, form, 400)
    count = subscriptions.replay(subscription_id, actor(), form.position.data, form.since.data)
    flash(f"{count} events queued again.", "success")
    return redirect(url_for("admin.event_subscription", subscription_id=subscription_id))


def _act(subscription_id, action, done: str):
    _get(subscription_id)
    if ConfirmForm().validate_on_submit():
        try:
            action()
        except NotFound:
            abort(404)
        flash(f"Subscription {done}.", "success")
    return redirect(url_for("admin.event_subscription", subscription_id=subscription_id))
