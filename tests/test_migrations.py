"""The Alembic migrations build exactly the schema the models describe."""

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine
from sqlalchemy import inspect
from sqlalchemy import text

from app import create_app
from models import db
from tests.conftest import IS_POSTGRES


def _sqlite_shape(engine) -> dict:
    with engine.connect() as conn:
        names = conn.execute(text(
            "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
            "AND name != 'alembic_version'")).all()
        tables = {n for t, n in names if t == "table"}
        columns = {t: {c["name"] for c in inspect(conn).get_columns(t)} for t in tables}
    return {"indexes": {n for t, n in names if t == "index"}, "columns": columns}


def test_upgrade_matches_models_on_sqlite(tmp_path):
    migrated = create_app({"TESTING": True, "SECRET_KEY": "k",
                           "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/m.sqlite"})
    with migrated.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    created = create_engine(f"sqlite:///{tmp_path}/c.sqlite")
    db.metadata.create_all(created)
    expected = _sqlite_shape(created)
    created.dispose()
    actual_engine = create_engine(f"sqlite:///{tmp_path}/m.sqlite")
    actual = _sqlite_shape(actual_engine)
    actual_engine.dispose()
    assert actual == expected


@pytest.mark.skipif(not IS_POSTGRES, reason="PostgreSQL reflects expression indexes fully")
def test_upgrade_matches_models_on_postgres(app):
    """The session schema was built by `flask db upgrade`; autogenerate finds nothing to add."""
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []
