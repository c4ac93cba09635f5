"""Unbound Flask extensions; create_app binds them with init_app."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
# Batch mode lets Alembic alter SQLite tables (it has no ALTER COLUMN).
migrate = Migrate(render_as_batch=True)
limiter = Limiter(key_func=get_remote_address, default_limits=[])
