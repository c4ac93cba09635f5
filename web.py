"""WSGI middleware: slash folding for pasted tenant URLs, and ProxyFix."""

from werkzeug.middleware.proxy_fix import ProxyFix


class FoldSlashes:
    """Fold `//` in SCIM paths.

    Tenant URLs are pasted with and without a trailing slash, so clients send
    /scim/v2//Users. A redirect would lose POST bodies, so rewrite instead.
    """

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/scim") and "//" in path:
            while "//" in path:
                path = path.replace("//", "/")
            environ["PATH_INFO"] = path
        return self.app(environ, start_response)


def install_middleware(app) -> None:
    app.wsgi_app = FoldSlashes(app.wsgi_app)
    count = app.config.get("PROXY_FIX_COUNT") or 0
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count,
                                x_port=count, x_prefix=count)
