"""The databases of a run: a fresh SQLite file, or a PostgreSQL database made afresh."""

import os
import subprocess
import sys

from sqlalchemy.engine import make_url

from bench.servers import ROOT
from bench.servers import flask_cli

_CREATE_ALL = ("from app import create_app\nfrom models import db\n"
               "with create_app().app_context():\n    db.create_all()\n")


def prepare(url: str | None, out_dir: str, recreate: bool = True,
            schema: str = "migrations") -> tuple[str, str]:
    """Return (Rollcall's URL, the baseline's URL), both empty and Rollcall's schema built.

    The schema comes from the Alembic migrations, as in production; `schema="models"`
    builds it from the models instead (db.create_all), for a tree whose migration is
    not written yet. PostgreSQL: the database named in the URL is dropped and created
    again, which is why its name must start with `rc_bench`.
    """
    if url is None:
        rollcall = f"sqlite:///{os.path.join(out_dir, 'rollcall.sqlite')}"
        baseline = f"sqlite:///{os.path.join(out_dir, 'baseline.sqlite')}"
    else:
        rollcall = baseline = url
        if recreate:
            _recreate_postgres(url)
    if schema == "models":
        subprocess.run([sys.executable, "-c", _CREATE_ALL], cwd=ROOT, check=True,
                       env={**os.environ, "DATABASE_URL": rollcall})
    else:
        flask_cli(["db", "upgrade"], {"DATABASE_URL": rollcall})
    return rollcall, baseline


def _recreate_postgres(url: str) -> None:
    import psycopg

    parsed = make_url(url)
    name = parsed.database
    if not name or not name.startswith("rc_bench"):
        raise SystemExit(f"refusing to drop database {name!r}: name it rc_bench… "
                         "or pass --no-recreate-database to use it as it is")
    admin = parsed.set(drivername="postgresql", database="postgres")
    dsn = admin.render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def issue_token(rollcall_url: str, name: str) -> str:
    """A bearer token from the CLI, which prints the secret alone on its last line."""
    out = flask_cli(["tokens", "create", "--name", name], {"DATABASE_URL": rollcall_url})
    return out.strip().splitlines()[-1]


def describe(url: str) -> str:
    return make_url(url).get_backend_name()


def remove_sqlite(url: str) -> None:
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):]
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.unlink(path + suffix)


def backend_pids(url: str) -> list[int]:
    """PostgreSQL's server processes for this database (their CPU is the server's too)."""
    if not url.startswith("postgresql"):
        return []
    import psycopg

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                            " AND pid <> pg_backend_pid()").fetchall()
    return [pid for (pid,) in rows]
