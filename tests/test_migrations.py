"""The Alembic migrations build exactly the schema the models describe."""

import json

import flask_migrate
import pytest
from alembic import command as alembic_command
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


BEFORE_KEYS = "5b8e1f3c2a90"


def _at_revision(tmp_path, rows: list[tuple[str, str]]):
    """An app whose SQLite database stands before the matching keys, holding these users."""
    app = create_app({"TESTING": True, "SECRET_KEY": "k",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/k.sqlite"})
    with app.app_context():
        flask_migrate.upgrade(revision=BEFORE_KEYS)
        with db.engine.begin() as conn:
            for user_id, name in rows:
                conn.execute(text(
                    "INSERT INTO users (id, user_name, active, seat_waiting, hidden, data, "
                    "version, created, last_modified) VALUES (:id, :name, 1, 0, 0, '{}', 1, "
                    "'2026-01-01', '2026-01-01')"), {"id": user_id, "name": name})
            conn.execute(text(
                "INSERT INTO user_values (user_id, attr, value, \"primary\", entry) "
                "VALUES (:id, 'emails', 'STRASSE@x.de', 1, '{}')"), {"id": rows[0][0]})
        db.engine.dispose()
    return app


def test_the_key_migration_fills_keys_for_existing_rows(tmp_path):
    app = _at_revision(tmp_path, [("u1", "Øyvind.Berg@ex.no"), ("u2", "ｊｏｈｎ@x.no")])
    with app.app_context():
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            users = dict(conn.execute(text("SELECT id, user_name_key FROM users")).all())
            email = conn.execute(text("SELECT value_key FROM user_values")).scalar()
        db.engine.dispose()
    assert users == {"u1": "øyvind.berg@ex.no", "u2": "john@x.no"}
    assert email == "strasse@x.de"


def test_the_key_migration_reports_colliding_users_and_merges_nothing(tmp_path):
    """SQLite's lower() let "Ørjan@x.no" and "ørjan@x.no" both in; the upgrade names them."""
    app = _at_revision(tmp_path, [("u1", "Ørjan@x.no"), ("u2", "ørjan@x.no"), ("u3", "anna")])
    with app.app_context():
        # Alembic itself: flask_migrate.upgrade would log the error and exit.
        config = app.extensions["migrate"].migrate.get_config()
        with pytest.raises(RuntimeError) as error:
            alembic_command.upgrade(config, "head")
        with db.engine.connect() as conn:
            count = conn.execute(text("SELECT count(*) FROM users")).scalar()
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        db.engine.dispose()
    assert "u1 ('Ørjan@x.no'), u2 ('ørjan@x.no')" in str(error.value)
    assert "anna" not in str(error.value)
    assert (count, version) == (3, BEFORE_KEYS)


def test_values_of_fields_retired_before_the_shelf_are_moved_out_of_data(tmp_path):
    urn = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"
    app = create_app({"TESTING": True, "SECRET_KEY": "k",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/r.sqlite"})
    with app.app_context():
        flask_migrate.upgrade(revision="b8e1f0c2a9d4")
        data = json.dumps({"userName": "Ørjan", urn: {"riskScore": 7, "costCode": "C"}})
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO custom_fields (name, type, multi_valued, description, created_at, "
                "retired_at) VALUES ('riskScore', 'integer', 0, '', '2026-01-01', "
                "'2026-02-01'), ('costCode', 'string', 0, '', '2026-01-01', NULL)"))
            conn.execute(text(
                "INSERT INTO users (id, user_name, active, seat_waiting, hidden, data, version, "
                "created, last_modified) VALUES ('u1', 'Ørjan', 1, 0, 0, :data, 1, "
                "'2026-01-01', '2026-01-01')"), {"data": data})
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            row = conn.execute(text("SELECT data, retired_values, version FROM users")).one()
        db.engine.dispose()
    assert json.loads(row.data)[urn] == {"costCode": "C"}
    assert json.loads(row.retired_values) == {"riskScore": 7}
    assert row.version == 2


def test_stored_custom_datetimes_are_normalised_to_utc(tmp_path):
    urn = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"
    app = create_app({"TESTING": True, "SECRET_KEY": "k",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/d.sqlite"})
    with app.app_context():
        flask_migrate.upgrade(revision="e3a7c1d90b52")
        data = json.dumps({"userName": "Åse", urn: {"hiredAt": "2021-06-02T01:00:00+02:00",
                                                    "shifts": ["2021-06-01T20:00:00-05:00"],
                                                    "note": "2021-06-02T01:00:00+02:00"}})
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO custom_fields (name, type, multi_valued, description, created_at) "
                "VALUES ('hiredAt', 'dateTime', 0, '', '2026-01-01'), "
                "('shifts', 'dateTime', 1, '', '2026-01-01'), "
                "('note', 'string', 0, '', '2026-01-01')"))
            conn.execute(text(
                "INSERT INTO users (id, user_name, active, seat_waiting, hidden, data, version, "
                "created, last_modified) VALUES ('u1', 'Åse', 1, 0, 0, :data, 1, "
                "'2026-01-01', '2026-01-01')"), {"data": data})
            conn.execute(text(
                "INSERT INTO user_values (user_id, attr, value, \"primary\", entry) VALUES "
                "('u1', :attr, '2021-06-01T20:00:00-05:00', 0, '{}')"),
                {"attr": f"{urn}:shifts"})
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            stored = json.loads(conn.execute(text("SELECT data FROM users")).scalar())
            value = conn.execute(text("SELECT value FROM user_values")).scalar()
        db.engine.dispose()
    assert stored[urn] == {"hiredAt": "2021-06-01T23:00:00Z",
                           "shifts": ["2021-06-02T01:00:00Z"],
                           "note": "2021-06-02T01:00:00+02:00"}
    assert value == "2021-06-02T01:00:00Z"


def test_existing_rows_move_into_the_default_directory(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "k",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/dirs.sqlite"})
    with app.app_context():
        flask_migrate.upgrade(revision="a41c7e2d9b63")
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO users (id, user_name, user_name_key, active, seat_waiting, hidden, "
                "data, version, created, last_modified) VALUES ('u1', 'Ørjan', 'ørjan', 1, 0, 0, "
                "'{}', 1, '2026-01-01', '2026-01-01')"))
            conn.execute(text(
                "INSERT INTO custom_fields (name, type, multi_valued, description, created_at) "
                "VALUES ('costCode', 'string', 0, '', '2026-01-01')"))
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            directories = conn.execute(text("SELECT id, slug, name FROM directories")).all()
            users = conn.execute(text("SELECT directory_id FROM users")).scalars().all()
            fields = conn.execute(text("SELECT directory_id FROM custom_fields")).scalars().all()
        db.engine.dispose()
    assert [tuple(d) for d in directories] == [(1, "default", "Default")]
    assert users == [1] and fields == [1]
