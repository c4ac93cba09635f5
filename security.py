"""Browser-facing hardening: security headers on every response and safe cookie defaults.

The admin UI serves only its own static files and no inline script or style, so one
strict Content-Security-Policy fits every page. SCIM clients ignore these headers; they
cost nothing there and protect a JSON body that a browser is tricked into rendering.
"""

from flask import Flask
from flask import current_app
from flask import request

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
    app.after_request(add_headers)


def add_headers(response):
    """Add the security headers a view has not set itself."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        # Only promised when the operator says the site is served over HTTPS.
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    if response.mimetype == "text/html" and not request.path.startswith("/static/"):
        # Admin pages show token secrets once and directory data: keep them out of caches.
        response.headers.setdefault("Cache-Control", "no-store")
    return response
