"""Liveness and readiness probes, without authentication."""

from flask import Blueprint

from services import tx

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """The app is up and its database answers."""
    return _database_check()


@bp.get("/readyz")
def readyz():
    """Ready for traffic: the database answers (load balancers poll this)."""
    return _database_check()


def _database_check():
    if not tx.ping():
        return {"status": "unavailable", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}
