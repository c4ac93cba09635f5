"""Tokens: generate (the secret is shown once), list, revoke, rotate."""

from flask import current_app
from flask import flash
from flask import make_response
from flask import redirect
from flask import render_template
from flask import url_for

from blueprints import directory_scope
from blueprints.access import admin_required
from blueprints.access import reader_required
from blueprints.admin import actor
from blueprints.admin import bp
from blueprints.forms import ConfirmForm
from blueprints.forms import TokenForm
from blueprints.forms import show_error
from services import tokens
from services.clock import utcnow
from services.errors import ServiceError
from services.readmodels import dashboard


@bp.get("/tokens", endpoint="tokens")
@reader_required
def tokens_page():
    return _list(TokenForm())


@bp.post("/tokens")
@admin_required
def create_token():
    form = TokenForm()
    if not form.validate_on_submit():
        return _list(form, 400)
    return _issue(form, rotated_from=None) or _list(form, 400)


@bp.route("/tokens/<int:token_id>/rotate", methods=["GET", "POST"])
@admin_required
def rotate_token(token_id):
    """Issue a successor; the old token stays valid until it is revoked, so nothing stops."""
    old = tokens.get(token_id)
    form = TokenForm(data={"name": rotated_name(old.name), "days": tokens.DEFAULT_DAYS})
    if form.validate_on_submit():
        response = _issue(form, rotated_from=old)
        if response is not None:
            return response
    status = 400 if form.errors else 200
    return render_template("admin/token_rotate.html", form=form, old=old), status


@bp.route("/tokens/<int:token_id>/revoke", methods=["GET", "POST"])
@admin_required
def revoke_token(token_id):
    token = tokens.get(token_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return render_template("admin/token_revoke.html", form=form, token=token,
                               in_use=dashboard.token_in_use() == token.name,
                               takes_effect=_takes_effect())
    tokens.revoke(token.name, actor())
    flash(f"Token {token.name} is revoked. Requests that use it get 401 {_takes_effect()}.",
          "success")
    return redirect(url_for("admin.tokens"))


def _takes_effect() -> str:
    """When a revocation reaches every server process (they remember checked tokens)."""
    seconds = current_app.config["SCIM_TOKEN_CACHE_SECONDS"]
    if seconds <= 0:
        return "at once"
    return f"within {seconds:g} seconds (each server process remembers a checked token that long)"


def rotated_name(old: str) -> str:
    """`<old>-rotated-<date>`, kept within the characters a name may have."""
    suffix = f"-rotated-{utcnow():%Y-%m-%d}"
    base = old.split("-rotated-")[0]
    return base[: tokens.MAX_NAME - len(suffix)] + suffix


def _issue(form: TokenForm, rotated_from):
    """Issue the token and answer with its secret; None (errors on the form) on failure."""
    try:
        token, secret = tokens.issue(form.name.data, form.days.data, actor())
    except ServiceError as error:
        show_error(form, error, "name")
        return None
    html = render_template("admin/token_created.html", token=token, secret=secret,
                           rotated_from=rotated_from,
                           tenant_url=directory_scope.current_tenant_url())
    response = make_response(html, 201)
    # The secret exists only in this response: no cache may keep it.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def _list(form: TokenForm, status: int = 200):
    rows = tokens.all_tokens()
    return render_template("admin/tokens.html", tokens=rows, form=form, now=utcnow(),
                           in_use=dashboard.token_in_use(),
                           health=dashboard.token_health(utcnow())), status

