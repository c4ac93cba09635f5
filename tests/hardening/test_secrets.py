"""A full run leaves no token secret or password in logs, tables, exports or pages.

Allowed exactly twice, by design: `flask tokens create` prints the new secret, and the
admin UI shows a new token's secret once in the response to its creation.
"""

import logging
import re

import pytest
from argon2 import PasswordHasher

from services import admins
from services.audit import requestlog
from tests.hardening.support import FreshClient
from tests.hardening.support import patch_body
from tests.hardening.support import table_rows
from tests.hardening.support import user_body

ADMIN_PASSWORD = "first-Admin-passphrase-1"
NEW_ADMIN_PASSWORD = "second-Admin-passphrase-2"
WRONG_PASSWORD = "wrong-guess-passphrase-3"
USER_PASSWORDS = ["User-Pass-on-create-4", "User-Pass-on-patch-5", "User-Pass-on-put-6"]
GUESSED_TOKEN = "rcscim_" + "G" * 43



@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch):
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(admins, "_hasher", cheap)
    monkeypatch.setattr(admins, "_DUMMY", cheap.hash("dummy password"))


def cli_token(runner) -> str:
    result = runner.invoke(args=["tokens", "create", "--name", "entra"])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def scim_traffic(client, secret, name="sam@example.com") -> None:
    headers = {"Authorization": f"Bearer {secret}"}
    create = client.post("/scim/v2/Users", headers=headers,
                         json=user_body(name, password=USER_PASSWORDS[0]))
    assert create.status_code == 201
    user_id = create.get_json()["id"]
    op = {"op": "replace", "path": "password", "value": USER_PASSWORDS[1]}
    assert client.patch(f"/scim/v2/Users/{user_id}", headers=headers,
                        json=patch_body(op)).status_code == 200
    assert client.put(f"/scim/v2/Users/{user_id}", headers=headers, json=user_body(
        name, password=USER_PASSWORDS[2])).status_code == 200
    assert client.get("/scim/v2/Users", headers={
        "Authorization": f"Bearer {GUESSED_TOKEN}"}).status_code == 401
    # A misconfigured client putting its token in the URL.
    client.get(f"/scim/v2/Users?access_token={secret}", headers=headers)
    client.get("/scim/v2/Nope", headers=headers)
    client.delete("/scim/v2/Users", headers=headers)


def admin_traffic(app, runner) -> tuple[list[str], str]:
    """Sign in (after a failed try), change the password, create a token in the UI."""
    result = runner.invoke(args=["admins", "create", "alice", "--role", "admin",
                                 "--password-stdin"], input=ADMIN_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    app.test_client_class = FreshClient
    client = app.test_client()
    client.post("/auth/login", data={"username": "alice", "password": WRONG_PASSWORD})
    assert client.post("/auth/login", data={"username": "alice", "password": ADMIN_PASSWORD}
                       ).status_code == 302
    assert client.post("/auth/password", data={
        "current": ADMIN_PASSWORD, "new": NEW_ADMIN_PASSWORD, "confirm": NEW_ADMIN_PASSWORD,
    }).status_code == 302
    created = client.post("/admin/tokens", data={"name": "ui-token", "days": "30"})
    assert created.status_code == 201
    ui_secret = re.search(r"rcscim_[A-Za-z0-9_-]{20,}", created.get_data(as_text=True)).group(0)
    pages = [client.get(rule.rule).get_data(as_text=True) for rule in app.url_map.iter_rules()
             if "GET" in rule.methods and not rule.arguments and not rule.rule.startswith(
                 ("/scim/", "/static/"))]
    return pages, ui_secret


def exports(runner) -> list[str]:
    out = []
    for kind in ("requests", "changes"):
        for fmt in ("jsonl", "csv"):
            result = runner.invoke(args=["audit", "export", "--kind", kind, "--format", fmt])
            assert result.exit_code == 0, result.output
            out.append(result.output)
    return out


def test_no_secret_is_left_anywhere(app, runner, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    secret = cli_token(runner)
    client = app.test_client()
    scim_traffic(client, secret)
    pages, ui_secret = admin_traffic(app, runner)
    scim_traffic(app.test_client(), ui_secret, "kim@example.com")
    requestlog.writer_for(app).flush()

    haystacks = {
        "log records": caplog.text,
        "stderr (JSON logs)": capsys.readouterr().err,
        "database": repr(table_rows()),
        "exports": "\n".join(exports(runner)),
        "admin pages": "\n".join(pages),
    }
    needles = [secret, secret[13:], ui_secret, ui_secret[13:], GUESSED_TOKEN, ADMIN_PASSWORD,
               NEW_ADMIN_PASSWORD, WRONG_PASSWORD, *USER_PASSWORDS]
    assert '"logger": "rollcall.request"' in haystacks["stderr (JSON logs)"]
    assert "rollcall.request" in haystacks["log records"]
    assert "sam@example.com" in haystacks["database"]  # the haystacks are the real ones
    leaks = [(where, needle) for where, text in haystacks.items() for needle in needles
             if needle in text]
    assert leaks == []
