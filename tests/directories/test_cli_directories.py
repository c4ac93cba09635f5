"""`flask --app app directories ...`; `--directory SLUG` on tokens, custom-fields, rules, audit."""

import json

from models import ChangeRecord
from models import Setting
from models import db
from models.scoping import ALL_DIRECTORIES
from services import directories
from services import tokens
from services.context import in_directory
from tests.conftest import user_body
from tests.directories.conftest import DirectoryClient


def run(runner, *args):
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_create_list_rename(runner):
    run(runner, "directories", "create", "trondelag-test", "--name", "Trøndelag", "--staging")
    out = run(runner, "directories", "create", "oslo")
    assert "/scim/v2/oslo" in out
    run(runner, "directories", "rename", "oslo", "--name", "Oslo kommune")
    listing = run(runner, "directories", "list").splitlines()
    assert listing[0].split()[:3] == ["SLUG", "NAME", "STAGING"]
    assert listing[1].split()[:4] == ["default", "Default", "no", "/scim/v2"]
    assert "Oslo kommune" in listing[3] and "/scim/v2/oslo" in listing[3]
    actions = [r.action for r in db.session.query(ChangeRecord).execution_options(
        **ALL_DIRECTORIES).order_by(ChangeRecord.id)]
    assert actions == ["directory.create", "directory.create", "directory.rename"]


def test_bad_and_reserved_slugs_are_refused(runner):
    for slug in ("Users", "default", "a b", "-x", "x" * 65):
        result = runner.invoke(args=["directories", "create", slug])
        assert result.exit_code != 0, slug
    run(runner, "directories", "create", "oslo")
    assert "exists already" in runner.invoke(args=["directories", "create", "oslo"]).output


def test_a_token_created_for_a_directory_serves_its_tenant_url_only(runner, client):
    run(runner, "directories", "create", "oslo")
    secret = run(runner, "tokens", "create", "--name", "oslo-entra", "--directory",
                 "oslo").splitlines()[-1]
    theirs = DirectoryClient(client, secret, "oslo")
    assert theirs.post("Users", user_body("Ådne")).status_code == 201
    assert client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {secret}"}
                      ).status_code == 401
    assert "oslo-entra" in run(runner, "tokens", "list", "--directory", "oslo")
    assert "oslo-entra" not in run(runner, "tokens", "list")
    assert runner.invoke(args=["tokens", "revoke", "oslo-entra"]).exit_code != 0
    run(runner, "tokens", "revoke", "oslo-entra", "--directory", "oslo")
    assert theirs.get("Users").status_code == 401


def test_an_unknown_directory_is_an_error(runner):
    result = runner.invoke(args=["tokens", "list", "--directory", "nowhere"])
    assert result.exit_code != 0 and "no directory 'nowhere'" in result.output


def test_custom_fields_and_rules_are_per_directory(runner, client):
    run(runner, "directories", "create", "oslo")
    run(runner, "custom-fields", "create", "kostnadssted", "--type", "string",
        "--directory", "oslo")
    run(runner, "rules", "set", "require_email=true", "seat_limit=5", "--directory", "oslo")
    assert "kostnadssted" in run(runner, "custom-fields", "list", "--directory", "oslo")
    assert run(runner, "custom-fields", "list") == ""
    assert "require_email=true" in run(runner, "rules", "show", "--directory", "oslo")
    default_rules = run(runner, "rules", "show")
    assert "require_email=false" in default_rules and "seat_limit=\n" in default_rules
    secret = run(runner, "tokens", "create", "--name", "o", "--directory", "oslo").splitlines()[-1]
    theirs = DirectoryClient(client, secret, "oslo")
    schema_ids = [s["id"] for s in theirs.get("Schemas").get_json()["Resources"]]
    assert any("CustomExtensionName" in s for s in schema_ids)
    no_email = user_body("Åsmund")
    del no_email["emails"]
    assert theirs.post("Users", no_email).status_code == 400


def test_the_same_custom_field_name_in_two_directories(runner):
    run(runner, "directories", "create", "oslo")
    run(runner, "custom-fields", "create", "region", "--type", "string")
    run(runner, "custom-fields", "create", "region", "--type", "integer", "--directory", "oslo")
    assert "region\tinteger" in run(runner, "custom-fields", "list", "--directory", "oslo")
    assert "region\tstring" in run(runner, "custom-fields", "list")


def test_delete_needs_force_when_it_holds_users(runner, client):
    run(runner, "directories", "create", "oslo")
    run(runner, "rules", "set", "require_email=true", "--directory", "oslo")
    secret = run(runner, "tokens", "create", "--name", "o", "--directory", "oslo").splitlines()[-1]
    DirectoryClient(client, secret, "oslo").post("Users", user_body("Øystein"))
    refused = runner.invoke(args=["directories", "delete", "oslo"])
    assert refused.exit_code != 0 and "--force" not in refused.output
    assert "holds 1 users" in refused.output
    run(runner, "directories", "delete", "oslo", "--force")
    assert [d.slug for d in directories.all()] == ["default"]
    assert DirectoryClient(client, secret, "oslo").get("Users").status_code == 401
    assert "require_email" not in str([s.key for s in db.session.query(Setting)])
    record = db.session.query(ChangeRecord).execution_options(**ALL_DIRECTORIES).filter_by(
        action="directory.delete").one()
    assert record.changes["users"] == [1, 0]
    assert runner.invoke(args=["directories", "delete", "default", "--force"]).exit_code != 0


def test_audit_export_takes_a_directory(runner):
    run(runner, "directories", "create", "oslo")
    with in_directory(directories.by_slug("oslo").id):
        tokens.issue("oslo-token", 5, tokens_actor())
    lines = run(runner, "audit", "export", "--kind", "changes", "--directory", "oslo").splitlines()
    assert [json.loads(line)["action"] for line in lines] == ["directory.create", "token.issue"]
    default = run(runner, "audit", "export", "--kind", "changes").splitlines()
    assert all(json.loads(line)["action"] != "token.issue" for line in default)


def test_audit_verify_spans_every_directory(runner, client, scim):
    run(runner, "directories", "create", "oslo")
    secret = run(runner, "tokens", "create", "--name", "o", "--directory", "oslo").splitlines()[-1]
    DirectoryClient(client, secret, "oslo").post("Users", user_body("Ørjan"))
    scim.post("Users", user_body("Ørjan"))
    out = run(runner, "audit", "verify")
    assert "changes: intact" in out and "requests: intact" in out


def tokens_actor():
    from tests.conftest import ADMIN
    return ADMIN


def test_moving_a_record_to_another_directory_breaks_the_chain(runner, scim):
    from sqlalchemy import text

    run(runner, "directories", "create", "oslo")
    run(runner, "tokens", "create", "--name", "o", "--directory", "oslo")
    scim.get("Users")  # `audit` commands expect both chains to have begun
    assert "changes: intact" in run(runner, "audit", "verify")
    db.session.execute(text("UPDATE change_records SET directory_id = 1 WHERE directory_id = 2"))
    db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "TAMPERED" in result.output
