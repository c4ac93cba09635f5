"""Sign-in, sign-out and password changes for the admin UI (Flask-Login).

Failed sign-ins are throttled per client address and per username by Flask-Limiter;
only failures count, so a person who types the password right is never slowed down.
"""

from urllib.parse import urlsplit

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_login import current_user
from flask_login import login_required
from flask_login import login_user
from flask_login import logout_user

from blueprints.forms import ConfirmForm
from blueprints.forms import LoginForm
from blueprints.forms import PasswordForm
from extensions import limiter
from services import admins

bp = Blueprint("auth", __name__, url_prefix="/auth")

# The session's key into admin_sessions (services/admins.py).
SESSION_KEY = "sid"
ADDRESS_LIMIT = "5 per minute"
ACCOUNT_LIMIT = "10 per 15 minutes"


def _address_limit() -> str:
    return current_app.config.get("LOGIN_RATE_LIMIT", ADDRESS_LIMIT)


def _account_limit() -> str:
    return current_app.config.get("LOGIN_ACCOUNT_RATE_LIMIT", ACCOUNT_LIMIT)


def _username_key() -> str:
    return "login:" + (request.form.get("username") or "").strip().lower()[:100]


def _failed(_response) -> bool:
    return g.get("login_failed", False)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit(_account_limit, key_func=_username_key, methods=["POST"], deduct_when=_failed,
               scope="login-account")
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(form.next.data) or url_for("admin.dashboard"))
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 400 if form.errors else 200
    attempt = admins.Attempt(form.username.data, request.remote_addr)
    user = admins.authenticate(attempt, form.password.data)
    if user is None:
        g.login_failed = True
        return render_template("auth/login.html", form=form,
                               error="The username or password is not right.")
    session.clear()  # nothing from before the sign-in carries over
    session[SESSION_KEY] = admins.open_session(
        user.id, int(current_app.permanent_session_lifetime.total_seconds()))
    login_user(user)
    session.permanent = True
    if user.must_change_password:
        flash("Choose your own password before you go on.", "info")
        return redirect(url_for("auth.password"))
    return redirect(safe_next(form.next.data) or url_for("admin.dashboard"))


@bp.errorhandler(429)
def throttled(_error):
    form = LoginForm(next=request.form.get("next", ""))
    form.username.data = request.form.get("username", "")
    message = "Too many failed sign-ins. Wait a few minutes before you try again."
    return render_template("auth/login.html", form=form, error=message), 429


@bp.post("/logout")
def logout():
    form = ConfirmForm()
    if form.validate_on_submit():
        admins.close_session(session.get(SESSION_KEY))
        logout_user()
        session.clear()
        flash("You have signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.post("/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    """End this account's sessions in every other browser (a lost laptop, a shared one)."""
    form = ConfirmForm()
    if form.validate_on_submit():
        ended = admins.sign_out_everywhere(current_user.id, admins.actor_for(current_user),
                                           keep_session=session.get(SESSION_KEY))
        flash(f"Signed out everywhere else ({ended} other session{'s' * (ended != 1)} ended).",
              "success")
    return redirect(url_for("auth.password"))


def load_user(user_id):
    """Flask-Login's loader: the account only while this browser's session row exists."""
    return admins.session_user(user_id, session.get(SESSION_KEY))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    if not form.validate_on_submit():
        return render_template("auth/password.html", form=form), 400 if form.errors else 200
    try:
        admins.change_password(current_user.id, form.current.data, form.new.data,
                               keep_session=session.get(SESSION_KEY))
    except admins.WrongPassword as error:
        form.current.errors = [str(error).capitalize() + "."]
        return render_template("auth/password.html", form=form), 400
    except admins.AdminError as error:
        form.new.errors = [str(error).capitalize() + "."]
        return render_template("auth/password.html", form=form), 400
    flash("Your password has been changed.", "success")
    return redirect(url_for("admin.dashboard"))


def safe_next(target: str | None) -> str | None:
    """A `next` target only when it is a path on this host (no open redirect)."""
    target = (target or "").strip()
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
