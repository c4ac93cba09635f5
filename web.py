"""WSGI middleware: slash folding and endpoint-name case for SCIM paths, and ProxyFix."""

from werkzeug.middleware.proxy_fix import ProxyFix

SCIM_PREFIX = "/scim/v2/"
# Endpoint names as RFC 7644 §3.2 spells them. Clients send other cases (Microsoft's
# Postman collection uses /users); routes, Location and meta.location keep these.
_ENDPOINTS = {name.lower(): name for name in (
    "Users", "Groups", "Bulk", "ServiceProviderConfig", "ResourceTypes", "Schemas", "Me",
    ".search")}


def canonical_scim_path(path: str) -> str:
    """The path with its endpoint name (and a `.search` after it) in canonical case."""
    if not path.startswith(SCIM_PREFIX):
        return path
    parts = path[len(SCIM_PREFIX):].split("/")
    # A first segment that names no endpoint is a directory's slug: its endpoint follows.
    # (No slug is an endpoint's name: services/directories.py reserves them.)
    at = 0 if parts[0].lower() in _ENDPOINTS or len(parts) == 1 else 1
    parts[at] = _ENDPOINTS.get(parts[at].lower(), parts[at])
    if len(parts) > at + 1 and parts[at] in ("Users", "Groups") and (
            parts[at + 1].lower() == ".search"):
        parts[at + 1] = ".search"
    return SCIM_PREFIX + "/".join(parts)


class FoldSlashes:
    """Fold `//` in SCIM paths and put endpoint names in canonical case.

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
        if path.startswith(SCIM_PREFIX):
            environ["PATH_INFO"] = canonical_scim_path(path)
        return self.app(environ, start_response)


def install_middleware(app) -> None:
    app.wsgi_app = FoldSlashes(app.wsgi_app)
    count = app.config.get("PROXY_FIX_COUNT") or 0
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count,
                                x_port=count, x_prefix=count)
