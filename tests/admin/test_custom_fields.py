"""Custom fields in the UI: declare, describe, retire, with the Entra target shown."""

import pytest
from sqlalchemy import select

from models import ChangeRecord
from models import db
from services import custom_fields
from services.actor import CLI
from tests.admin.helpers import page

URN = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"


def declare(client, **form):
    data = {"name": "costCode", "type": "string", "description": "Finance code"}
    data.update(form)
    return client.post("/admin/fields", data={k: v for k, v in data.items() if v is not None})


def schema_attributes(client, token):
    response = client.get(f"/scim/v2/Schemas/{URN}", headers={"Authorization": f"Bearer {token}"})
    if response.status_code == 404:
        return {}
    return {a["name"]: a for a in response.get_json()["attributes"]}


def test_declare_shows_the_entra_target_and_publishes_it(admin_client, token):
    response = declare(admin_client, multi_valued="y")
    assert response.status_code == 302
    html = page(admin_client.get(response.location))
    assert "Custom field costCode is declared." in html
    assert f"{URN}:costCode" in html
    assert "string[]" in html
    attribute = schema_attributes(admin_client, token)["costCode"]
    assert attribute["multiValued"] is True
    assert attribute["description"] == "Finance code"
    record = db.session.execute(select(ChangeRecord).where(
        ChangeRecord.action == "custom_field.declare")).scalar_one()
    assert (record.actor_kind, record.actor) == ("admin", "alice")


@pytest.mark.parametrize("form, message", [
    ({"name": ""}, "Enter a name."),
    ({"name": "1cost"}, "Start with a letter"),
    ({"name": "cost code"}, "Start with a letter"),
    ({"name": "x" * 65}, "Start with a letter"),
    ({"type": "float"}, "Not a valid choice."),
    ({"type": None}, "Choose a type."),
    ({"description": "d" * 1001}, "Use at most 1,000 characters."),
    ({"name": "userName"}, "is already a core User attribute"),
    ({"name": "department"}, "is already the enterprise extension&#39;s attribute"),
    ({"name": "costCenter"}, "map Entra to urn:ietf:params:scim:schemas:extension:enterprise:"
                             "2.0:User:costCenter instead"),
])
def test_declare_validation(admin_client, form, message):
    response = declare(admin_client, **form)
    assert response.status_code == 400
    assert message in page(response)
    assert custom_fields.all_fields() == []


def test_a_name_is_taken_for_good(admin_client):
    custom_fields.define("costCode", "string", False, "", CLI)
    custom_fields.retire("costCode", CLI)
    response = declare(admin_client, name="COSTCODE")
    assert response.status_code == 400
    assert "already exists" in page(response)


def test_edit_the_description(admin_client, token):
    declare(admin_client)
    form = page(admin_client.get("/admin/fields/costCode/edit"))
    assert "Finance code</textarea>" in form
    response = admin_client.post("/admin/fields/costCode/edit",
                                 data={"description": "Cost centre code"})
    assert response.status_code == 302
    assert schema_attributes(admin_client, token)["costCode"]["description"] == "Cost centre code"
    too_long = admin_client.post("/admin/fields/costCode/edit", data={"description": "d" * 1001})
    assert too_long.status_code == 400
    assert "Use at most 1,000 characters." in page(too_long)


def test_retire_asks_first(admin_client, token):
    declare(admin_client)
    assert "Retire costCode?" in page(admin_client.get("/admin/fields/costCode/retire"))
    assert "costCode" in schema_attributes(admin_client, token)
    response = admin_client.post("/admin/fields/costCode/retire", follow_redirects=True)
    assert "is retired" in page(response)
    assert "costCode" not in schema_attributes(admin_client, token)
    assert "retired</span>" in page(admin_client.get("/admin/fields"))
    assert admin_client.get("/admin/fields/costCode/edit").status_code == 404


@pytest.mark.parametrize("url", ["/admin/fields/nope/edit", "/admin/fields/nope/retire"])
def test_unknown_fields_are_404(admin_client, url):
    assert admin_client.get(url).status_code == 404
    assert admin_client.post(url).status_code == 404
