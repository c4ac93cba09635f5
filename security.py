"""Browser-facing hardening: security headers on every response and safe cookie defaults.

The admin UI serves only its own static files and no inline script or style, so one
strict Content-Security-Policy fits every page. SCIM clients ignore these headers; they
cost nothing there and protect a JSON body that a browser is tricked into rendering.
"""

from flask import Flask
from flask import current_app
from flask import request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.routing import IntegerConverter

# The largest id a 64-bit INTEGER column holds (SQLite and PostgreSQL bigint alike).
MAX_ID = 2**63 - 1


class BoundedInteger(IntegerConverter):
    """`<int:...>` routes match only ids a database column can hold: beyond, a 404.

    Werkzeug's converter takes any number of digits; SQLite then fails to bind
    /admin/tokens/99999999999999999999999/revoke ("Python int too large").
    """

    def __init__(self, url_map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def row_id(text: str) -> int:
    """A query-string id (?before=, ?after=) for `request.args.get(type=...)`.

    :raise ValueError: for anything but ASCII digits up to MAX_ID (the argument is ignored).
    """
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_ID:
        raise ValueError(text)
    return int(text)


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, without building the signer for a request with no cookie.

    SCIM clients send none, and Flask otherwise builds an itsdangerous serializer to open
    and save every request's empty session (3% of a PATCH's samples, py-spy).
    """

    def open_session(self, app, request):
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        if session or session.modified or session.accessed:
            super().save_session(app, session, response)


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
HSTS = "max-age=31536000"

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Not "no-referrer": Flask-WTF checks the Referer of HTTPS form posts (CSRF_SSL_STRICT),
    # so same-origin requests must keep sending it.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}

COOKIE_DEFAULTS = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
}


def init_app(app: Flask) -> None:
    for key, value in COOKIE_DEFAULTS.items():
        app.config.setdefault(key, value)
    # Flask-Login's remember-me cookie follows the session cookie onto HTTPS only.
    app.config.setdefault("REMEMBER_COOKIE_SECURE", bool(app.config.get("SESSION_COOKIE_SECURE")))
    app.url_map.converters["int"] = BoundedInteger  # before any blueprint adds a route
    app.session_interface = CookieSessions()
    app.after_request(add_headers)


def add_headers(response):
    """Add the security headers a view has not set itself.

    One pass over the response's headers, then one append each: `Headers.setdefault`
    scans them for every name (eight scans a response, 4% of a SCIM lookup's CPU).
    """
    wanted = dict(HEADERS)
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        # Only promised when the operator says the site is served over HTTPS.
        wanted["Strict-Transport-Security"] = HSTS
    if request.path.startswith("/scim/"):
        # SCIM bodies carry directory data and ETags do the revalidation (RFC 7644 §3.14).
        wanted["Cache-Control"] = "no-store"
    elif response.mimetype == "text/html" and not request.path.startswith("/static/"):
        # Admin pages show token secrets once and directory data: keep them out of caches.
        wanted["Cache-Control"] = "no-store"
    present = {name.lower() for name, _ in response.headers}
    response.headers.extend((name, value) for name, value in wanted.items()
                            if name.lower() not in present)
    return response
