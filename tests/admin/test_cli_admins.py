"""`flask admins create|set-password|list|ensure-first`."""

import pytest
from sqlalchemy import select

from models import AdminUser
from models import db
from services import admins
from tests.admin.helpers import PASSWORD
from tests.admin.helpers import sign_in


def accounts():
    db.session.rollback()
    return {u.username: u for u in db.session.execute(select(AdminUser)).scalars()}


def test_create_from_stdin(runner):
    result = runner.invoke(args=["admins", "create", "olga", "--role", "auditor",
                                 "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "created with role auditor" in result.output
    assert PASSWORD not in result.output
    user = accounts()["olga"]
    assert user.role == "auditor" and not user.must_change_password
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_create_prompts_twice_without_echo(runner, client):
    result = runner.invoke(args=["admins", "create", "alice", "--role", "admin"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert result.output.count("Password") == 1 and "Repeat for confirmation" in result.output
    assert PASSWORD not in result.output
    assert sign_in(client, "alice").status_code == 302


def test_create_refuses_mismatched_prompts(runner):
    result = runner.invoke(args=["admins", "create", "alice", "--role", "admin"],
                           input=f"{PASSWORD}\nsomething else!\n")
    assert result.exit_code != 0
    assert "alice" not in accounts()


@pytest.mark.parametrize("args, stdin, message", [
    (["alice", "--role", "admin"], "short", "at least 12 characters"),
    (["alice", "--role", "owner"], PASSWORD, "Invalid value for '--role'"),
    (["alice"], PASSWORD, "Missing option '--role'"),
    ([" ", "--role", "admin"], PASSWORD, "a username has 1 to 100 characters"),
])
def test_create_validation(runner, args, stdin, message):
    result = runner.invoke(args=["admins", "create", *args, "--password-stdin"],
                           input=stdin + "\n")
    assert result.exit_code != 0
    assert message in result.output
    assert accounts() == {}


def test_create_refuses_a_taken_name(runner):
    admins.create("alice", PASSWORD, "admin", admins.Actor("cli", "t", "t"))
    result = runner.invoke(args=["admins", "create", "ALICE", "--role", "auditor",
                                 "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code != 0
    assert "exists already" in result.output


def test_ensure_first_creates_one_admin_once(runner, client):
    first = runner.invoke(args=["admins", "ensure-first"])
    assert first.exit_code == 0, first.output
    password = first.output.strip().splitlines()[-1]
    assert len(password) >= 12
    user = accounts()["admin"]
    assert user.role == "admin" and user.must_change_password
    assert sign_in(client, "admin", password).location == "/auth/password"
    again = runner.invoke(args=["admins", "ensure-first"])
    assert again.exit_code == 0
    assert again.output.strip() == "An admin UI account exists already; nothing to do."
    assert list(accounts()) == ["admin"]


def test_ensure_first_does_nothing_when_an_auditor_exists(runner):
    admins.create("olga", PASSWORD, "auditor", admins.Actor("cli", "t", "t"))
    result = runner.invoke(args=["admins", "ensure-first"])
    assert "nothing to do" in result.output
    assert list(accounts()) == ["olga"]


def test_set_password_and_list(runner, client):
    admins.create("alice", PASSWORD, "admin", admins.Actor("cli", "t", "t"))
    result = runner.invoke(args=["admins", "set-password", "alice", "--password-stdin"],
                           input="another passphrase\n")
    assert result.exit_code == 0, result.output
    assert sign_in(client, "alice", "another passphrase").status_code == 302
    missing = runner.invoke(args=["admins", "set-password", "bob", "--password-stdin"],
                            input="another passphrase\n")
    assert missing.exit_code != 0 and "no account named 'bob'" in missing.output
    listing = runner.invoke(args=["admins", "list"])
    assert listing.output.startswith("alice\tadmin\t20")
