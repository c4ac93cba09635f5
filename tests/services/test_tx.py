"""services.tx: reads that skip their transaction on PostgreSQL, and writes that never do."""

from sqlalchemy import text

from models import db
from services import tx
from services import users
from services.actor import CLI
from tests.conftest import IS_POSTGRES
from tests.conftest import user_body

PATCH_TITLE = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
               "Operations": [{"op": "replace", "path": "title", "value": "Ingeniør"}]}


def _in_transaction(connection) -> bool:
    """Whether the database holds a transaction open for this connection after a SELECT."""
    connection.execute(text("SELECT 1")).all()
    dbapi = connection.connection.dbapi_connection
    if IS_POSTGRES:
        return dbapi.info.transaction_status != dbapi.info.transaction_status.IDLE
    return dbapi.in_transaction


def test_a_read_runs_in_autocommit_on_postgresql_only(app):
    with app.test_request_context("/scim/v2/Users"):
        assert _in_transaction(tx.read_connection()) is not IS_POSTGRES


def test_a_read_inside_a_transaction_keeps_it(app):
    with app.test_request_context("/scim/v2/Users"):
        db.session.connection()  # a transaction began before the read
        assert _in_transaction(tx.read_connection())


def test_a_write_after_an_autocommit_read_is_a_transaction(app):
    """The orphan report's deactivation reads each user (users.get), then PATCHes it."""
    with app.test_request_context("/scim/v2/Users"):
        user, _ = users.create(user_body("ÉMILE.İNCE@example.com"), CLI)
        users.get(user.id)
        with tx.write() as session:
            assert _in_transaction(session.connection())
        patched = users.patch(user.id, PATCH_TITLE, CLI)
        assert patched.data["title"] == "Ingeniør" and patched.version == user.version + 1
        assert users.get(user.id).version == patched.version
