"""services.mappings: presets, verdicts, the POST and PATCH, saving, the directory check."""

import json

import pytest
from sqlalchemy import func
from sqlalchemy import select

from mappings import presets
from mappings.mapfile import MappingFileError
from mappings.mapfile import Row
from models import ChangeRecord
from models import User
from models import db
from services import custom_fields
from services import mappings
from services import rules
from services import users
from services.actor import CLI

ENTERPRISE = presets.ENTERPRISE
WORK = presets.WORK_EMAIL


def preset(name):
    return presets.MAPPINGS[name][1]


def person(name, **changes):
    return {**presets.PEOPLE[name][1], **changes}


def verdicts(report):
    return {o.row.target: (v.kind, o.value) for o, v in zip(report.outcomes, report.verdicts,
                                                           strict=True)}


def count_users():
    return db.session.execute(select(func.count()).select_from(User)).scalar()


@pytest.mark.parametrize("mapping", sorted(presets.MAPPINGS))
@pytest.mark.parametrize("who", sorted(presets.PEOPLE))
def test_every_preset_for_every_person_is_evaluated_without_errors(app, mapping, who):
    report = mappings.evaluate(preset(mapping), person(who))
    kinds = {v.kind for v in report.verdicts}
    assert "error" not in kinds and "refused" not in kinds
    assert report.post["schemas"][0] == "urn:ietf:params:scim:schemas:core:2.0:User"
    assert count_users() == 0  # nothing written


def test_the_default_mapping_sends_what_entra_sends(app):
    report = mappings.evaluate(preset("entra-default"), person("complete"))
    post = report.post
    assert post["userName"] == "ingrid.solberg@contoso.example"
    assert post["active"] is True
    assert post["emails"] == [{"type": "work", "primary": True,
                               "value": "ingrid.solberg@contoso.example"}]
    assert post["name"] == {"givenName": "Ingrid", "familyName": "Solberg",
                            "formatted": "Ingrid Solberg"}
    assert post[ENTERPRISE] == {"employeeNumber": "10042", "department": "Finance"}
    assert report.post_verdict.kind == "accepted"
    assert report.post_verdict.detail == "201 Created"
    # The default change: Entra soft-deletes the user and PATCHes active.
    assert report.patch["Operations"] == [{"op": "Replace", "path": "active", "value": False}]
    assert report.patch_verdict.kind == "accepted"


def test_a_user_without_mail_sends_no_work_email_by_default(app):
    report = mappings.evaluate(preset("entra-default"), person("no-mail"))
    assert verdicts(report)[WORK] == ("not sent", None)
    assert verdicts(report)["displayName"] == ("not sent", None)
    assert "emails" not in report.post


def test_kantega_falls_back_to_the_upn_and_the_joined_name(app):
    report = mappings.evaluate(preset("kantega"), person("no-mail"))
    assert verdicts(report)[WORK] == ("accepted", "tomasz.wisniewski@contoso.example")
    assert verdicts(report)["displayName"] == ("accepted", "Tomasz Wiśniewski")


def test_safe_active_for_a_soft_deleted_user(app):
    report = mappings.evaluate(preset("safe"), person("soft-deleted"))
    assert verdicts(report)["active"] == ("accepted", "False")
    assert report.post["active"] is False
    assert report.patch is None  # soft-deleting a soft-deleted user changes nothing
    assert report.patch_verdict is None


def test_the_test_suffix_and_non_ascii_names(app):
    report = mappings.evaluate(preset("test-suffix"), person("turkish"))
    assert report.post["userName"] == "ilkay.yildiz@contoso.example.test"
    assert report.post["displayName"] == "İlkay Yıldız"
    rows = [Row('ToLower(NormalizeDiacritics([displayName]), "tr-TR")', "nickName")]
    report = mappings.evaluate(rows + preset("entra-default")[:1], person("diacritics"))
    assert verdicts(report)["nickName"] == ("accepted", "oeyvind braek-oedegard")


def test_an_unknown_target_is_ignored_with_the_fix(app):
    rows = [*preset("entra-default"), Row("department", f"{ENTERPRISE}:costCentre"),
            Row("city", "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User:site")]
    report = mappings.evaluate(rows, person("complete"))
    verdict = report.verdicts[-2]
    assert verdict.kind == "ignored"
    assert "declare a custom field" in verdict.fix
    assert report.post_verdict.kind == "accepted"  # Rollcall ignores it and creates the user


def test_an_unknown_target_is_refused_when_the_rule_says_reject(app):
    rules.save({"unknown_attributes": "reject"}, CLI)
    rows = [*preset("entra-default"), Row("department", f"{ENTERPRISE}:costCentre")]
    report = mappings.evaluate(rows, person("complete"))
    assert report.verdicts[-1].kind == "refused"
    assert report.post_verdict.kind == "refused"
    # The detail is the one the API answers for the same POST.
    response_detail = report.post_verdict.detail
    assert response_detail.startswith("400 (invalidValue): ")
    assert "costCentre" in response_detail


def test_a_custom_field_makes_the_target_known_and_typed(app):
    custom_fields.define("badgeNumber", "integer", False, "", CLI)
    target = f"{custom_fields.urn()}:badgeNumber"
    report = mappings.evaluate([Row("userPrincipalName", "userName", 1),
                                Row("employeeId", target)], person("complete"))
    assert verdicts(report)[target] == ("accepted", "10042")
    assert report.post[custom_fields.urn()] == {"badgeNumber": 10042}
    report = mappings.evaluate([Row("userPrincipalName", "userName", 1),
                                Row("jobTitle", target)], person("complete"))
    assert report.verdicts[1].kind == "refused"
    assert report.post_verdict.kind == "refused"


def test_a_value_of_the_wrong_type_is_refused_with_the_api_detail(app, scim):
    rows = [Row("userPrincipalName", "userName", 1), Row("department", "active")]
    report = mappings.evaluate(rows, person("complete"))
    assert report.verdicts[1].kind == "refused"
    assert 'True" or "False' in report.verdicts[1].fix
    response = scim.post("Users", report.post)
    assert response.status_code == 400
    answer = response.get_json()
    detail = answer["detail"].split(" (request id ")[0]
    assert report.post_verdict.detail == f"400 ({answer['scimType']}): {detail}"


def test_an_empty_user_name_is_refused(app):
    report = mappings.evaluate([Row("mail", "userName", 1)], person("no-mail"))
    assert report.verdicts[0].kind == "refused"
    assert report.post_verdict.kind == "refused"
    assert report.patch_verdict is None or report.patch_verdict.kind == "not sent"


def test_a_bad_expression_is_an_error_verdict_with_position(app):
    report = mappings.evaluate([Row("userPrincipalName", "userName", 1),
                                Row('Join(" ", [givenName] [surname])', "displayName")],
                               person("complete"))
    assert report.verdicts[1].kind == "error"
    assert "position 23" in report.verdicts[1].detail


def test_require_email_blocks_a_person_without_mail(app):
    rules.save({"require_email": True}, CLI)
    report = mappings.evaluate(preset("entra-default"), person("no-mail"))
    assert verdicts(report)[WORK][0] == "blocked"
    assert report.post_verdict.kind == "blocked"
    assert report.post_verdict.detail == "an email address is required (provisioning rule)"
    assert mappings.evaluate(preset("kantega"), person("no-mail")).post_verdict.kind == \
        "accepted"


def test_matching_on_email_blocks_a_taken_email_and_notes_the_precedence(app, make_user):
    make_user("someone-else", emails=[{"value": "ingrid.solberg@contoso.example",
                                       "type": "work"}])
    rules.save({"matching_attribute": "email"}, CLI)
    report = mappings.evaluate(preset("entra-default"), person("complete"))
    assert verdicts(report)[WORK][0] == "blocked"
    assert "already in use" in report.post_verdict.detail
    assert any("precedence 1 is on userName" in note for note in report.notes)
    assert not any("precedence" in n for n in mappings.evaluate(
        preset("safe"), person("complete")).notes)


def test_the_seat_limit_blocks_active(app, make_user):
    make_user("one@example.com")
    rules.save({"seat_limit": 1}, CLI)
    report = mappings.evaluate(preset("entra-default"), person("complete"))
    assert verdicts(report)["active"][0] == "blocked"
    assert "seat limit of 1 reached" in report.post_verdict.detail


def test_an_existing_user_name_means_entra_updates(app, make_user):
    make_user("ingrid.solberg@contoso.example")
    report = mappings.evaluate(preset("entra-default"), person("complete"))
    assert report.post_verdict.kind == "accepted"
    assert "updates it with PATCH" in report.post_verdict.detail


def test_a_patch_for_a_change(app):
    report = mappings.evaluate(preset("kantega"), person("complete"),
                               change={"mail": "", "department": "Ops", "jobTitle": None})
    operations = report.patch["Operations"]
    assert {"op": "Replace", "path": WORK, "value": "ingrid.solberg@contoso.example"} \
        not in operations
    assert {"op": "Replace", "path": f"{ENTERPRISE}:department", "value": "Ops"} in operations
    assert {"op": "Remove", "path": "title"} in operations
    assert report.patch_verdict.kind == "accepted"


def test_save_keeps_the_mapping_with_a_change_record(app):
    assert mappings.saved() is None
    mappings.save(preset("kantega"), CLI)
    assert mappings.saved() == preset("kantega")
    mappings.save(preset("safe"), CLI)
    assert mappings.saved() == preset("safe")
    records = db.session.execute(select(ChangeRecord).where(
        ChangeRecord.action == "mapping.save")).scalars().all()
    assert len(records) == 2
    before, after = records[1].changes["mappings"]
    assert before[1]["source"] == presets.MAPPINGS["kantega"][1][1].source
    assert after[1]["source"] == presets.SAFE_ACTIVE


def test_save_refuses_a_bad_row_and_writes_nothing(app):
    with pytest.raises(MappingFileError, match=r"mapping 2 \(displayName\): position 6"):
        mappings.save([Row("userPrincipalName", "userName", 1), Row("Join(", "displayName")],
                      CLI)
    assert mappings.saved() is None
    assert db.session.execute(select(func.count()).select_from(ChangeRecord)).scalar() == 0


def test_the_directory_check_counts_people(app, make_user):
    make_user("ada@example.com", displayName="Ada Lovelace",
              name={"givenName": "Ada", "familyName": "Lovelace"})
    make_user("bob@example.com", emails=[])
    make_user("cem@example.com", emails=[], name={"givenName": "Cem", "familyName": "Yılmaz"})
    census = mappings.check_directory(preset("entra-default"))
    assert (census.total, census.checked) == (3, 3)
    sentences = census.sentences()
    assert "2 people would get an empty work email" in sentences
    assert "2 people would get an empty display name" in sentences
    kantega = mappings.check_directory(preset("kantega")).sentences()
    assert not any("empty work email" in s for s in kantega)
    assert "1 person would get a different display name than Rollcall stores now" in kantega
    assert "2 people would get a different work email than Rollcall stores now" in kantega


def test_the_directory_check_counts_refusals_and_is_bounded(app, make_user):
    for name in ("a@example.com", "b@example.com"):
        make_user(name)
    census = mappings.check_directory([Row("department", "userName", 1)], limit=1)
    assert (census.total, census.checked) == (2, 1)
    assert census.sentences() == ["1 person would be refused: 400 (invalidValue): "
                                  "userName is required",
                                  "No one would get a value for userName"]
    assert count_users() == 2


def test_the_directory_check_writes_nothing(app, make_user):
    make_user("a@example.com")
    before = json.dumps(users.get(db.session.execute(select(User.id)).scalar()).data)
    mappings.check_directory(preset("test-suffix"))
    after = json.dumps(users.get(db.session.execute(select(User.id)).scalar()).data)
    assert before == after
