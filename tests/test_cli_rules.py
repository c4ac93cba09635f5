"""`flask --app app rules show|set`: the provisioning rules as configuration as code."""

import pytest
from sqlalchemy import select

from models import ChangeRecord
from models import db
from services import rules
from tests.conftest import user_body


def records():
    db.session.rollback()
    stmt = select(ChangeRecord).where(ChangeRecord.action == "settings.change")
    return list(db.session.execute(stmt.order_by(ChangeRecord.id)).scalars())


def test_show_prints_each_rule_with_its_value(runner):
    result = runner.invoke(args=["rules", "show"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "matching_attribute=userName", "require_email=false", "seat_limit=",
        "link_on_create=false", "delete_mode=delete", "unknown_attributes=ignore",
        "audit_retention_days=365", "body_retention_days=30"]


def test_set_changes_several_rules_with_one_change_record(runner):
    result = runner.invoke(args=["rules", "set", "matching_attribute=email", "require_email=true",
                                 "seat_limit=25", "link_on_create=true",
                                 "delete_mode=deactivate", "unknown_attributes=reject"])
    assert result.exit_code == 0, result.output
    assert "seat_limit:  -> 25" in result.output
    assert rules.current() == {"matching_attribute": "email", "require_email": True,
                               "seat_limit": 25, "link_on_create": True,
                               "delete_mode": "deactivate", "unknown_attributes": "reject",
                               "audit_retention_days": 365, "body_retention_days": 30}
    [record] = records()
    assert (record.actor_kind, record.resource_name) == ("cli", "Provisioning rules")
    assert record.changes["seat_limit"] == [None, 25]
    assert record.changes["require_email"] == [False, True]


def test_show_output_reads_back_into_set(runner):
    runner.invoke(args=["rules", "set", "seat_limit=3", "delete_mode=deactivate"])
    shown = runner.invoke(args=["rules", "show"]).output.split()
    runner.invoke(args=["rules", "set", "seat_limit=", "delete_mode=delete"])
    assert runner.invoke(args=["rules", "set", *shown]).exit_code == 0
    assert rules.current()["seat_limit"] == 3
    assert rules.current()["delete_mode"] == "deactivate"


def test_retention_days_are_rules_too(runner):
    result = runner.invoke(args=["rules", "set", "audit_retention_days=400",
                                 "body_retention_days=7"])
    assert result.exit_code == 0, result.output
    assert (rules.current()["audit_retention_days"], rules.current()["body_retention_days"]) \
        == (400, 7)


def test_an_empty_seat_limit_means_none(runner):
    runner.invoke(args=["rules", "set", "seat_limit=10"])
    result = runner.invoke(args=["rules", "set", "seat_limit="])
    assert result.exit_code == 0, result.output
    assert rules.current()["seat_limit"] is None


def test_setting_the_same_values_writes_no_record(runner):
    result = runner.invoke(args=["rules", "set", "delete_mode=delete"])
    assert result.exit_code == 0
    assert result.output.strip() == "No rule changed."
    assert records() == []


@pytest.mark.parametrize("args, message", [
    (["colour=blue"], "'colour' is not a provisioning rule"),
    (["matching_attribute=Email"], "matching_attribute must be one of userName, email"),
    (["require_email=yes"], "require_email is true or false"),
    (["seat_limit=0"], "the seat limit is a whole number of at least 1"),
    (["seat_limit=ten"], "the seat limit is a whole number of at least 1"),
    (["seat_limit=-1"], "the seat limit is a whole number of at least 1"),
    (["delete_mode"], "'delete_mode' is not KEY=VALUE"),
    (["audit_retention_days=0"], "audit_retention_days is a whole number of days from 1"),
    (["body_retention_days=week"], "body_retention_days is a whole number of days from 1"),
    (["delete_mode=deactivate", "unknown_attributes=maybe"],
     "unknown_attributes must be one of ignore, reject"),
])
def test_a_bad_key_or_value_exits_non_zero_with_one_line_and_changes_nothing(
        runner, args, message):
    result = runner.invoke(args=["rules", "set", *args])
    assert result.exit_code != 0
    [line] = result.output.strip().splitlines()
    assert line.startswith("Error: ") and message in line
    assert rules.current()["delete_mode"] == "delete"
    assert records() == []


def test_set_needs_at_least_one_assignment(runner):
    assert runner.invoke(args=["rules", "set"]).exit_code != 0


def test_a_rule_set_from_the_cli_governs_scim_writes(runner, scim):
    assert runner.invoke(args=["rules", "set", "require_email=true"]).exit_code == 0
    response = scim.post("Users", user_body("Ørjan@x.no", emails=[]))
    assert response.status_code == 400
    assert runner.invoke(args=["rules", "set", "require_email=false"]).exit_code == 0
    assert scim.post("Users", user_body("Ørjan@x.no", emails=[])).status_code == 201
