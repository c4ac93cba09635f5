"""Sign-in, sign-out and password changes for the admin UI (Flask-Login).

Failed sign-ins slow further attempts with growing delays per address and per account
(services/signin_throttle.py); a correct password from a clean address, or from a
browser that signed in to the account before (the device cookie), is never refused.
"""

import logging
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_login import current_user
from flask_login import login_required
from flask_login import login_user
from flask_login import logout_user
from itsdangerous import BadSignature
from itsdangerous import URLSafeTimedSerializer
from limits.storage import storage_from_string

from blueprints.forms import ConfirmForm
from blueprints.forms import LoginForm
from blueprints.forms import PasswordForm
from services import admins
from services import signin_throttle as throttle

bp = Blueprint("auth", __name__, url_prefix="/auth")
log = logging.getLogger(__name__)

# The session's key into admin_sessions (services/admins.py).
SESSION_KEY = "sid"
# Set at a successful sign-in: this browser skips the throttle for that account.
DEVICE_COOKIE = "rollcall_device"
DEVICE_LIFETIME = timedelta(days=90)
FREE_FAILURES_ADDRESS = 10
FREE_FAILURES_ACCOUNT = 5
MAX_DELAY = 900


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(form.next.data) or url_for("admin.dashboard"))
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 400 if form.errors else 200
    trusted = _trusted_device(form.username.data)
    delay = 0 if trusted else _throttle(throttle.admit, form.username.data)
    if delay:
        return _throttled(form, delay)
    attempt = admins.Attempt(form.username.data, request.remote_addr)
    user = admins.authenticate(attempt, form.password.data)
    if user is None:
        if not trusted:
            _throttle(throttle.failed, form.username.data)
        return render_template("auth/login.html", form=form,
                               error="The username or password is not right.")
    if not trusted:
        _throttle(throttle.succeeded, form.username.data)
    session.clear()  # nothing from before the sign-in carries over
    session[SESSION_KEY] = admins.open_session(
        user.id, int(current_app.permanent_session_lifetime.total_seconds()))
    login_user(user)
    session.permanent = True
    if user.must_change_password:
        flash("Choose your own password before you go on.", "info")
        response = redirect(url_for("auth.password"))
    else:
        response = redirect(safe_next(form.next.data) or url_for("admin.dashboard"))
    _remember_device(response, user.id)
    return response


def _throttle_policies() -> dict:
    config = current_app.config
    cap, first = config.get("LOGIN_MAX_DELAY", MAX_DELAY), config.get("LOGIN_FIRST_DELAY", 1)
    return {"address": throttle.Policy(config.get("LOGIN_FREE_FAILURES_ADDRESS",
                                                  FREE_FAILURES_ADDRESS), cap, first),
            "account": throttle.Policy(config.get("LOGIN_FREE_FAILURES_ACCOUNT",
                                                  FREE_FAILURES_ACCOUNT), cap, first)}


def _throttle(step, username: str):
    """Run a throttle step on the shared storage; without a storage, nothing is throttled."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return 0
    extensions = current_app.extensions
    try:
        if "rollcall_signin" not in extensions:
            extensions["rollcall_signin"] = storage_from_string(
                current_app.config["RATELIMIT_STORAGE_URI"])
        return step(extensions["rollcall_signin"], request.remote_addr or "", username,
                    _throttle_policies())
    except Exception:  # a storage outage must not lock admins out
        log.exception("sign-in throttle storage unavailable")
        return 0


def _throttled(form, delay: int):
    message = (f"Too many failed sign-ins. Wait {delay} second{'s' * (delay != 1)} "
               "before you try again.")
    response = current_app.make_response(
        (render_template("auth/login.html", form=form, error=message), 429))
    response.headers["Retry-After"] = str(delay)
    return response


def _devices() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="rollcall-device")


def _trusted_device(username: str) -> bool:
    value = request.cookies.get(DEVICE_COOKIE)
    account = admins.by_name(username) if value else None
    if account is None:
        return False
    try:
        user_id = _devices().loads(value, max_age=DEVICE_LIFETIME.total_seconds())
    except BadSignature:
        return False
    return user_id == account.id


def _remember_device(response, user_id: int) -> None:
    response.set_cookie(DEVICE_COOKIE, _devices().dumps(user_id),
                        max_age=int(DEVICE_LIFETIME.total_seconds()), path=url_for("auth.login"),
                        httponly=True, samesite="Lax",
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))


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
