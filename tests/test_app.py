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


def _modules(package: str) -> list[tuple[pathlib.Path, ast.Module]]:
    """Every module of a package, subpackages included."""
    return [(path, ast.parse(path.read_text())) for path in sorted((ROOT / package).rglob("*.py"))]


def _imported(tree: ast.Module) -> list[tuple[str, list[str]]]:
    """(module, names imported from it) of each absolute import."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.module, [alias.name for alias in node.names]))
    return out


def _top_level(module: str) -> str:
    return module.split(".")[0]


@pytest.mark.parametrize(("package", "forbidden"), [
    ("scim", {"flask", "models", "services", "blueprints"}),
    ("mappings", {"flask", "models", "services", "blueprints", "scim"}),
    ("models", {"services", "blueprints"}),
    ("services", {"blueprints"}),
    ("blueprints", {"models"}),
])
def test_layer_rule(package, forbidden):
    """Protocol code knows no web framework or storage; lower layers never import higher."""
    found = {f"{path.relative_to(ROOT)}: {module}" for path, tree in _modules(package)
             for module, _ in _imported(tree) if _top_level(module) in forbidden}
    assert found == set()


@pytest.mark.parametrize("package", ["scim", "services"])
def test_no_web_framework_below_the_blueprints(package):
    """Services get their configuration from services/config.py, not from Flask."""
    found = {f"{path.relative_to(ROOT)}: {module}" for path, tree in _modules(package)
             for module, _ in _imported(tree)
             if _top_level(module).startswith(("flask", "werkzeug"))}
    assert found == set()


def test_blueprints_reach_the_database_only_through_services():
    found = {str(path.relative_to(ROOT)) for path, tree in _modules("blueprints")
             for node in ast.walk(tree)
             if isinstance(node, ast.Attribute) and node.attr == "session"
             and isinstance(node.value, ast.Name) and node.value.id == "db"}
    assert found == set()


def test_blueprints_use_no_private_name_of_another_blueprint():
    found = set()
    for path, tree in _modules("blueprints"):
        modules = {alias.asname or alias.name for node in ast.walk(tree)
                   if isinstance(node, ast.ImportFrom) and node.module == "blueprints"
                   for alias in node.names}
        for module, names in _imported(tree):
            if module.startswith("blueprints.") and module != f"blueprints.{path.stem}":
                found |= {f"{path.name}: {module}.{n}" for n in names if n.startswith("_")}
        found |= {f"{path.name}: {node.value.id}.{node.attr}" for node in ast.walk(tree)
                  if isinstance(node, ast.Attribute) and node.attr.startswith("_")
                  and not node.attr.startswith("__")
                  and isinstance(node.value, ast.Name) and node.value.id in modules}
    assert found == set()


def test_the_cache_hook_empties_every_registered_cache(app):
    from services import caches
    from services import settings

    settings.all_settings()
    assert settings._cache != {}
    caches.clear()
    assert settings._cache == {}
