"""The factory, config layering, and the layer rule between packages."""

import ast
import pathlib

import pytest

from app import create_app
from app import database_url

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_database_url_uses_psycopg_3():
    assert database_url("postgres://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert database_url("postgresql://h/db") == "postgresql+psycopg://h/db"
    assert database_url("sqlite:///x.sqlite") == "sqlite:///x.sqlite"


def test_environment_overrides_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/env.sqlite")
    monkeypatch.setenv("SCIM_RATE_LIMIT", "7/second")
    app = create_app({"TESTING": True, "SECRET_KEY": "k"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/env.sqlite"
    assert app.config["SCIM_RATE_LIMIT"] == "7/second"


def test_secret_key_is_generated_once_into_instance(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(tmp_path))
    first = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    second = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert len(first.config["SECRET_KEY"]) == 64
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def _imports(package: str) -> set[str]:
    names = set()
    for path in (ROOT / package).glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize(("package", "forbidden"), [
    ("scim", {"flask", "models", "services", "blueprints"}),
    ("mappings", {"flask", "models", "services", "blueprints", "scim"}),
    ("models", {"services", "blueprints"}),
    ("services", {"blueprints"}),
])
def test_layer_rule(package, forbidden):
    """Protocol code knows no web framework or storage; lower layers never import higher."""
    assert not _imports(package) & forbidden
