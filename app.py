"""Rollcall: a self-hosted SCIM 2.0 provisioning endpoint (the app factory)."""

import os
import secrets
from urllib.parse import urlsplit

from flask import Flask
from flask import appcontext_pushed

import logging_setup
import security
from extensions import csrf
from extensions import login_manager
from extensions import migrate
from models import db
from models.engine import configure_engine
from models.engine import engine_options
from services import column_lengths
from services import config as service_config
from services import outbound
from services.audit import requestlog
from services.ops import scheduler as ops_scheduler

DEFAULTS = {
    "SQLALCHEMY_DATABASE_URI": "sqlite:///rollcall.sqlite",
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    # SCIM limits, advertised in /ServiceProviderConfig.
    "SCIM_MAX_RESULTS": 1000,
    "SCIM_DEFAULT_COUNT": 100,
    "SCIM_MAX_PAYLOAD": 1024 * 1024,
    "SCIM_BULK_MAX_OPERATIONS": 1000,
    "SCIM_MAX_FILTER_LENGTH": 4096,
    "SCIM_MAX_VALUE_LENGTH": 4096,
    # Seconds a cursor stays valid between pages (RFC 9865 cursorTimeout).
    "SCIM_CURSOR_TIMEOUT": 600,
    "SCIM_RATE_LIMIT": "200/second",
    # Failed bearer authentications per client address (guessing tokens, broken clients).
    "SCIM_AUTH_FAILURE_LIMIT": "60/minute",
    # Seconds a worker remembers a valid token (0: look it up on every request). A revoked
    # token keeps working in the other workers for at most this long.
    "SCIM_TOKEN_CACHE_SECONDS": 5,
    # Unset: a SQLite file in instance/, shared by the workers of this machine
    # (extensions.SqliteFileStorage); redis://... to share across machines.
    "RATELIMIT_STORAGE_URI": None,
    "CUSTOM_SCHEMA_URN": "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User",
    # Request-log rows are written by a background thread so reads never take the write lock.
    "REQUEST_LOG_ASYNC": True,
    "PROXY_FIX_COUNT": 0,
    # The external URL of the app (https://rollcall.example.com, with any path prefix):
    # Location, meta.location and the Tenant URL are built from it, not from Host.
    "PUBLIC_URL": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": 8 * 3600,
    "LOG_LEVEL": "INFO",
    "LOG_REQUESTS": True,
    "REQUEST_LOG_ENABLED": True,
    "AUDIT_SEAL_INTERVAL": requestlog.SEAL_INTERVAL,
    # Outbound change events (docs/events.md): gunicorn.conf.py starts the delivery thread.
    "EVENTS_DELIVERY_THREAD": True,
    "EVENTS_ISSUER": None,
    "EVENTS_LEASE_SECONDS": 30,
    "EVENTS_HTTP_TIMEOUT": 10,
    "EVENTS_RETRY_BASE": 1,
    "EVENTS_RETRY_MAX": 3600,
    "EVENTS_MAX_AGE": 3 * 86400,
    # Networks (CIDRs) beside the public internet where receivers may live (services/outbound.py).
    "OUTBOUND_ALLOW_NETWORKS": "",
    "EVENTS_POLL_WAIT": 10,
    # Alert checks once a minute in a thread of each process, one at a time (a DB lease).
    "OPS_SCHEDULER": True,
}

# Environment variables read as they are named (operators script these).
ENV_KEYS = {
    "SECRET_KEY": str,
    "SCIM_RATE_LIMIT": str,
    "RATELIMIT_STORAGE_URI": str,
    "CUSTOM_SCHEMA_URN": str,
    "PROXY_FIX_COUNT": int,
    "PUBLIC_URL": str,
    "SCIM_MAX_RESULTS": int,
    "SCIM_MAX_PAYLOAD": int,
    "SCIM_CURSOR_TIMEOUT": int,
    "SCIM_AUTH_FAILURE_LIMIT": str,
    "SCIM_TOKEN_CACHE_SECONDS": float,
    "SESSION_COOKIE_SECURE": lambda v: v.lower() in ("1", "true", "yes"),
    "PERMANENT_SESSION_LIFETIME": int,
    "LOG_LEVEL": str,
    "EVENTS_DELIVERY_THREAD": lambda v: v.lower() in ("1", "true", "yes"),
    "EVENTS_ISSUER": str,
    "EVENTS_LEASE_SECONDS": float,
    "EVENTS_HTTP_TIMEOUT": float,
    "EVENTS_RETRY_BASE": float,
    "EVENTS_RETRY_MAX": float,
    "EVENTS_MAX_AGE": float,
    "OUTBOUND_ALLOW_NETWORKS": str,
    "LOGIN_FREE_FAILURES_ADDRESS": int,
    "LOGIN_FREE_FAILURES_ACCOUNT": int,
    "LOGIN_FIRST_DELAY": float,
    "LOGIN_MAX_DELAY": float,
    "METRICS_TOKEN": str,
    "METRICS_ALLOW": str,
    "OPS_SCHEDULER": lambda v: v.lower() in ("1", "true", "yes"),
    "OPS_CYCLE_GAP_MINUTES": float,
    "OPS_CYCLE_OVERDUE_MINUTES": float,
    "OPS_DEGRADED_RATIO": float,
    "OPS_ALERT_FAILURE_RATIO": float,
    "OPS_ALERT_UNAUTHORIZED": int,
    "OPS_IN_USE_DAYS": int,
    "OPS_HISTORY_HOURS": int,
    "OPS_EVENTS_LAG_MINUTES": float,
    "OPS_BASE_URL": str,
}


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: defaults, then instance/config.py, then the environment, then test_config."""
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    _load_environment(app)
    if test_config:
        app.config.from_mapping(test_config)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"], app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    app.config.setdefault("SECRET_KEY", None)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(app.instance_path)
    _check_public_url(app.config.get("PUBLIC_URL"))
    outbound.networks(app.config["OUTBOUND_ALLOW_NETWORKS"])  # a typo fails at start, not later
    if not app.config["RATELIMIT_STORAGE_URI"]:
        path = os.path.join(app.instance_path, "ratelimits.sqlite")
        app.config["RATELIMIT_STORAGE_URI"] = f"rollcall+sqlite://{path}"
    _init_extensions(app)
    _register(app)
    return app


def database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs given in the common `postgres://` forms."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _check_public_url(url: str | None) -> None:
    """:raise ValueError: for a PUBLIC_URL that is no absolute http(s) URL without a query."""
    if not url:
        return
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"PUBLIC_URL must look like https://rollcall.example.com, not {url!r}")


def _load_environment(app: Flask) -> None:
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    for key, convert in ENV_KEYS.items():
        if os.environ.get(key):
            app.config[key] = convert(os.environ[key])


def _instance_secret(instance_path: str) -> str:
    """Generate SECRET_KEY into instance/ on first run so sessions survive restarts."""
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    with open(path) as f:
        return f.read().strip()


def _init_extensions(app: Flask) -> None:
    logging_setup.init_app(app)
    security.init_app(app)
    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    migrate.init_app(app, db, directory=os.path.join(app.root_path, "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    requestlog.init_app(app)
    # Every flush of every session checks string lengths (services/column_lengths.py).
    column_lengths.install()
    _use_config(app)
    appcontext_pushed.connect(_use_config, app)
    ops_scheduler.init_app(app)


def _use_config(app: Flask, **_extra) -> None:
    """Services read this app's config (services/config.py): at start, and per context."""
    service_config.use(app.config, requestlog.writer_for(app))


def _register(app: Flask) -> None:
    from blueprints import admin
    from blueprints import admin_health
    from blueprints import audit
    from blueprints import auth
    from blueprints import errors
    from blueprints import events_public
    from blueprints import health
    from blueprints import metrics
    from blueprints import rate_limits
    from blueprints import scim
    from commands import register_commands
    from web import install_middleware

    app.register_blueprint(health.bp)
    rate_limits.init_app(app)
    app.register_blueprint(scim.bp)
    app.url_map.converters["slug"] = scim.SlugConverter
    app.register_blueprint(scim.bp, url_prefix=scim.DIRECTORY_PREFIX, name=scim.DIRECTORY_BLUEPRINT)
    csrf.exempt(scim.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(audit.bp)
    app.register_blueprint(events_public.bp)
    csrf.exempt(events_public.bp)
    app.register_blueprint(admin_health.bp)
    metrics.register(app)
    _register_login(app)
    errors.register(app)
    register_commands(app)
    install_middleware(app)


def _register_login(app: Flask) -> None:
    from flask import redirect
    from flask import url_for

    from blueprints.auth import load_user

    login_manager.login_view = "auth.login"
    login_manager.login_message = "Sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_user)
    app.add_url_rule("/", "index", lambda: redirect(url_for("admin.dashboard")))
