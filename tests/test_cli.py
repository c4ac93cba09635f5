"""The CLI forms operators script: tokens create|list|revoke."""

from models import ApiToken
from models import db


def test_tokens_create_prints_secret_alone_on_last_line(runner, client):
    result = runner.invoke(args=["tokens", "create", "--name", "entra-prod", "--days", "30"])
    assert result.exit_code == 0, result.output
    secret = result.output.rstrip("\n").splitlines()[-1]
    assert secret.startswith("rcscim_") and " " not in secret and len(secret) > 40
    response = client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    stored = db.session.execute(db.select(ApiToken)).scalar_one()
    assert secret not in (stored.token_hash, stored.prefix)
    assert (stored.expires_at - stored.created_at).days == 30


def test_tokens_default_expiry_is_90_days(runner):
    runner.invoke(args=["tokens", "create", "--name", "default"])
    stored = db.session.execute(db.select(ApiToken)).scalar_one()
    assert (stored.expires_at - stored.created_at).days == 90


def test_tokens_list_never_shows_the_secret(runner):
    secret = runner.invoke(args=["tokens", "create", "--name", "a"]).output.splitlines()[-1]
    result = runner.invoke(args=["tokens", "list"])
    assert result.exit_code == 0
    header, row = result.output.splitlines()[:2]
    assert header.split() == ["NAME", "PREFIX", "CREATED", "EXPIRES", "LAST", "USED", "STATUS"]
    assert row.startswith("a ") and row.endswith("active")
    assert secret not in result.output


def test_tokens_revoke(runner, client):
    secret = runner.invoke(args=["tokens", "create", "--name", "old"]).output.splitlines()[-1]
    assert runner.invoke(args=["tokens", "revoke", "old"]).exit_code == 0
    assert "revoked" in runner.invoke(args=["tokens", "list"]).output
    response = client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401


def test_tokens_errors_exit_non_zero(runner):
    runner.invoke(args=["tokens", "create", "--name", "dup"])
    assert runner.invoke(args=["tokens", "create", "--name", "dup"]).exit_code != 0
    assert runner.invoke(args=["tokens", "create", "--name", "x", "--days", "0"]).exit_code != 0
    assert runner.invoke(args=["tokens", "revoke", "missing"]).exit_code != 0
