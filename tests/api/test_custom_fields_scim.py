"""Custom fields declared in the admin UI, over SCIM; and attributes nobody declared.

Discovery, writes with Entra's URN shapes, filters, type validation, the directory page.
"""

import pytest
from sqlalchemy import select

from models import RequestLog
from models import db
from services import rules
from tests.admin.helpers import fresh_client  # noqa: F401 (fixture)
from tests.admin.helpers import page
from tests.admin.helpers import signed_in_admin  # noqa: F401 (fixture)
from tests.conftest import user_body

URN = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.fixture
def declare(admin):
    def declare(name, type_="string", multi=False):
        form = {"name": name, "type": type_, "description": f"{name} from HR"}
        if multi:
            form["multi_valued"] = "y"
        assert admin.post("/admin/fields", data=form).status_code == 302

    return declare


def patch_body(*operations):
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def custom_schema(scim):
    schemas = scim.get("Schemas").get_json()["Resources"]
    return next((s for s in schemas if s["id"] == URN), None)


def last_log():
    db.session.rollback()
    stmt = select(RequestLog).order_by(RequestLog.id.desc()).limit(1)
    return db.session.execute(stmt).scalar_one()


def test_a_declared_field_is_in_schemas_at_once(scim, declare):
    assert custom_schema(scim) is None
    declare("costCode")
    attribute = custom_schema(scim)["attributes"][0]
    assert attribute["name"] == "costCode" and attribute["type"] == "string"
    assert attribute["description"] == "costCode from HR"
    extensions = scim.get("ResourceTypes/User").get_json()["schemaExtensions"]
    assert {"schema": URN, "required": False} in extensions


def test_post_with_the_extension_object_or_a_flat_urn_key(scim, declare):
    declare("costCode")
    nested = scim.post("Users", user_body("a", **{URN: {"costCode": "CC-1"}}))
    assert nested.status_code == 201
    assert nested.get_json()[URN] == {"costCode": "CC-1"}
    flat = scim.post("Users", user_body("b", **{f"{URN}:costCode": "CC-2"}))
    assert flat.status_code == 201
    assert flat.get_json()[URN] == {"costCode": "CC-2"}


def test_patch_with_the_entra_urn_path_and_a_pathless_urn_key(scim, declare, make_user):
    declare("costCode")
    user = make_user("a")
    added = scim.patch(f"Users/{user['id']}", patch_body(
        {"op": "Add", "path": f"{URN}:costCode", "value": "CC-1"}))
    assert added.status_code == 200
    assert added.get_json()[URN]["costCode"] == "CC-1"
    replaced = scim.patch(f"Users/{user['id']}", patch_body(
        {"op": "replace", "value": {f"{URN}:costCode": "CC-2"}}))
    assert replaced.status_code == 200
    assert scim.get(f"Users/{user['id']}").get_json()[URN]["costCode"] == "CC-2"


def test_filter_on_a_custom_field(scim, declare, make_user):
    declare("costCode")
    make_user("a", **{URN: {"costCode": "x"}})
    make_user("b", **{URN: {"costCode": "y"}})
    body = scim.get(f'Users?filter={URN}:costCode eq "x"').get_json()
    assert [r["userName"] for r in body["Resources"]] == ["a"]


def test_filter_on_a_multi_valued_custom_field(scim, declare, make_user):
    declare("skills", multi=True)
    make_user("a", **{URN: {"skills": ["go", "sql"]}})
    make_user("b", **{URN: {"skills": ["css"]}})
    body = scim.get(f'Users?filter={URN}:skills eq "sql"').get_json()
    assert [r["userName"] for r in body["Resources"]] == ["a"]


@pytest.mark.parametrize("type_, bad, good", [
    ("integer", "abc", 42),
    ("integer", 1.5, 7),
    ("boolean", "maybe", True),
    ("decimal", "lots", 2.5),
    ("dateTime", "yesterday", "2024-05-01T09:00:00Z"),
    ("string", {"nested": 1}, "fine"),
])
def test_values_are_validated_by_type(scim, declare, make_user, type_, bad, good):
    declare("field", type_)
    response = scim.post("Users", user_body("a", **{URN: {"field": bad}}))
    assert response.status_code == 400
    assert response.get_json()["scimType"] == "invalidValue"
    user = make_user("b", **{URN: {"field": good}})
    assert user[URN]["field"] == good
    patched = scim.patch(f"Users/{user['id']}", patch_body(
        {"op": "replace", "path": f"{URN}:field", "value": bad}))
    assert patched.status_code == 400


def test_the_value_is_shown_on_the_users_directory_page(scim, admin, declare, make_user):
    declare("costCode")
    user = make_user("a", **{URN: {"costCode": "CC-42"}})
    html = page(admin.get(f"/admin/directory/users/{user['id']}"))
    assert "<code>costCode</code>" in html and "CC-42" in html


def test_a_retired_field_leaves_schemas_and_is_ignored(scim, admin, declare):
    declare("costCode")
    admin.post("/admin/fields/costCode/retire")
    assert custom_schema(scim) is None
    response = scim.post("Users", user_body("a", **{URN: {"costCode": "x"}}))
    assert response.status_code == 201
    assert URN not in response.get_json()
    assert any("costCode" in note for note in last_log().notes)


def test_unknown_attributes_ignored_are_noted_on_the_request_log(scim, admin):
    assert rules.current()["unknown_attributes"] == "ignore"
    response = scim.post("Users", user_body("a", favouriteColour="teal",
                                            **{f"{URN}:costCode": "x"}))
    assert response.status_code == 201
    assert "favouriteColour" not in response.get_json()
    notes = last_log().notes
    assert any("favouriteColour" in note for note in notes)
    assert any(f"{URN}:costCode" in note for note in notes)


def test_unknown_attributes_rejected(scim, admin):
    form = {**rules.current(), "unknown_attributes": "reject"}
    form = {k: str(v) for k, v in form.items() if v not in (None, False)}
    assert admin.post("/admin/settings", data=form).status_code == 302
    response = scim.post("Users", user_body("a", favouriteColour="teal"))
    assert response.status_code == 400
    assert "favouriteColour" in response.get_json()["detail"]
    user = scim.post("Users", user_body("b")).get_json()
    patched = scim.patch(f"Users/{user['id']}", patch_body(
        {"op": "add", "path": f"{URN}:costCode", "value": "x"}))
    assert patched.status_code == 400
