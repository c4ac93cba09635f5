"""Retiring a custom field never blocks a write (issue 12, item 3), over HTTP."""

import pytest
from sqlalchemy import select

from models import ChangeRecord
from models import RequestLog
from models import User
from models import db
from services import custom_fields
from services import rules
from tests.admin.helpers import fresh_client  # noqa: F401 (fixture)
from tests.admin.helpers import page
from tests.admin.helpers import signed_in_admin  # noqa: F401 (fixture)
from tests.conftest import ADMIN
from tests.conftest import user_body

URN = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def patch_body(*operations):
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def last_notes() -> list:
    db.session.rollback()
    stmt = select(RequestLog).order_by(RequestLog.id.desc()).limit(1)
    return db.session.execute(stmt).scalar_one().notes or []


def actions(name: str) -> list:
    db.session.rollback()
    stmt = select(ChangeRecord.action, ChangeRecord.changes).where(
        ChangeRecord.resource_type == "CustomField", ChangeRecord.resource_id == name)
    return list(db.session.execute(stmt.order_by(ChangeRecord.id)))


@pytest.fixture
def holder(scim, runner):
    """A user holding riskScore 7 (and costCode), then riskScore is retired from the CLI."""
    for name, kind in (("riskScore", "integer"), ("costCode", "string")):
        assert runner.invoke(args=["custom-fields", "create", name, "--type", kind]).exit_code == 0
    response = scim.post("Users", user_body("Øyvind.Berg@ex.no",
                                            **{URN: {"riskScore": 7, "costCode": "CC-1"}}))
    assert response.status_code == 201, response.get_json()
    result = runner.invoke(args=["custom-fields", "retire", "riskScore"])
    assert result.exit_code == 0, result.output
    return response.get_json()


def test_a_leaver_holding_a_retired_value_is_deactivated(scim, holder):
    """The issue's request: PATCH active "False" after `custom-fields retire riskScore`."""
    response = scim.patch(f"Users/{holder['id']}", patch_body(
        {"op": "Replace", "path": "active", "value": "False"}))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["active"] is False
    assert scim.get(f"Users/{holder['id']}").get_json()["active"] is False


def test_get_no_longer_returns_the_value_and_schemas_no_longer_lists_it(scim, holder):
    body = scim.get(f"Users/{holder['id']}").get_json()
    assert body[URN] == {"costCode": "CC-1"}
    schema = scim.get(f"Schemas/{URN}").get_json()
    assert [a["name"] for a in schema["attributes"]] == ["costCode"]
    assert body["meta"]["version"] != holder["meta"]["version"]  # the representation changed


def test_with_every_field_retired_the_extension_leaves_discovery(scim, holder, runner):
    runner.invoke(args=["custom-fields", "retire", "costCode"])
    ids = [s["id"] for s in scim.get("Schemas").get_json()["Resources"]]
    assert URN not in ids
    extensions = scim.get("ResourceTypes/User").get_json()["schemaExtensions"]
    assert URN not in [e["schema"] for e in extensions]
    body = scim.get(f"Users/{holder['id']}").get_json()
    assert URN not in body and URN not in body["schemas"]
    response = scim.patch(f"Users/{holder['id']}", patch_body(
        {"op": "replace", "path": "active", "value": False},
        {"op": "add", "path": f"{URN}:riskScore", "value": 9}))
    assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize("mode", ["ignore", "reject"])
@pytest.mark.parametrize("write", [
    ("patch", {"op": "replace", "path": f"{URN}:riskScore", "value": 9}),
    ("patch", {"op": "replace", "value": {f"{URN}:riskScore": 9, "title": "Lead"}}),
    ("patch", {"op": "add", "value": {URN: {"riskScore": 9}}}),
    ("put", {URN: {"riskScore": 9, "costCode": "CC-1"}}),
    ("put", {f"{URN}:riskScore": 9}),
])
def test_writes_carrying_the_retired_field_ignore_it_and_note_it(scim, holder, mode, write):
    rules.save({"unknown_attributes": mode}, ADMIN)
    verb, payload = write
    if verb == "patch":
        response = scim.patch(f"Users/{holder['id']}", patch_body(
            payload, {"op": "replace", "path": "active", "value": "False"}))
    else:
        response = scim.put(f"Users/{holder['id']}",
                            user_body("Øyvind.Berg@ex.no", active=False, **payload))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["active"] is False
    assert "riskScore" not in body.get(URN, {})
    assert any("riskScore" in note and "retired" in note for note in last_notes())


def test_a_post_carrying_the_retired_field_creates_the_user(scim, holder):
    rules.save({"unknown_attributes": "reject"}, ADMIN)
    response = scim.post("Users", user_body("İlker.Kaya@ex.tr", **{URN: {"riskScore": 3}}))
    assert response.status_code == 201, response.get_json()
    assert any("riskScore" in note for note in last_notes())


def test_a_filter_on_a_retired_field_is_an_unknown_attribute(scim, holder):
    response = scim.get("Users?filter=" + f"{URN}:riskScore eq 7")
    assert response.status_code == 400
    assert response.get_json()["scimType"] == "invalidFilter"


def test_restore_from_the_cli_brings_the_values_back(scim, holder, runner):
    scim.patch(f"Users/{holder['id']}", patch_body(
        {"op": "replace", "path": "active", "value": "False"}))
    result = runner.invoke(args=["custom-fields", "restore", "riskScore"])
    assert result.exit_code == 0, result.output
    body = scim.get(f"Users/{holder['id']}").get_json()
    assert body[URN] == {"riskScore": 7, "costCode": "CC-1"}
    assert body["active"] is False
    found = scim.get("Users?filter=" + f"{URN}:riskScore eq 7").get_json()
    assert found["totalResults"] == 1
    assert [a for a, _ in actions("riskScore")] == [
        "custom_field.declare", "custom_field.retire", "custom_field.restore"]
    assert actions("riskScore")[1][1]["valuesKept"] == [None, 1]
    assert actions("riskScore")[2][1]["valuesRestored"] == [None, 1]
    db.session.rollback()
    assert db.session.execute(select(User.retired_values)).scalar() is None


def test_restore_of_an_unknown_or_active_field(runner, holder):
    assert runner.invoke(args=["custom-fields", "restore", "nope"]).exit_code != 0
    assert runner.invoke(args=["custom-fields", "restore", "costCode"]).exit_code == 0
    assert [a for a, _ in actions("costCode")] == ["custom_field.declare"]


def test_the_custom_fields_page_restores_a_retired_field(scim, holder, admin):
    html = page(admin.get("/admin/fields"))
    assert "/admin/fields/riskScore/restore" in html
    assert "/admin/fields/costCode/restore" not in html
    response = admin.post("/admin/fields/riskScore/restore")
    assert response.status_code == 302
    assert "riskScore" in [f.name for f in custom_fields.active()]
    assert scim.get(f"Users/{holder['id']}").get_json()[URN]["riskScore"] == 7
    assert admin.post("/admin/fields/costCode/restore").status_code == 404
