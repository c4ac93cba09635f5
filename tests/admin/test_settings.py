"""The provisioning rules form: validation, saving, and a change record per save."""

import re

import pytest
from sqlalchemy import select

from models import ChangeRecord
from models import db
from services import settings
from tests.admin.helpers import page

VALID = {"matching_attribute": "email", "require_email": "y", "seat_limit": "25",
         "link_on_create": "y", "delete_mode": "deactivate", "unknown_attributes": "reject"}


def checked(html, name, value) -> bool:
    return re.search(rf'<input checked [^>]*name="{name}"[^>]*value="{value}"', html) is not None


def changes():
    stmt = select(ChangeRecord).where(ChangeRecord.action == "settings.change")
    return list(db.session.execute(stmt).scalars())


def test_the_form_shows_the_defaults(admin_client):
    html = page(admin_client.get("/admin/settings"))
    assert checked(html, "matching_attribute", "userName")
    assert checked(html, "delete_mode", "delete")
    assert checked(html, "unknown_attributes", "ignore")
    assert 'name="seat_limit" type="number" value=""' in html
    assert '<input id="require_email" name="require_email" type="checkbox"' in html


def test_saving_stores_every_rule_with_one_change_record(admin_client):
    response = admin_client.post("/admin/settings", data=VALID, follow_redirects=True)
    assert response.status_code == 200
    assert "Provisioning rules saved" in page(response)
    settings.invalidate()
    assert {k: settings.get(k) for k in VALID} == {
        "matching_attribute": "email", "require_email": True, "seat_limit": 25,
        "link_on_create": True, "delete_mode": "deactivate", "unknown_attributes": "reject"}
    [record] = changes()
    assert (record.actor_kind, record.actor) == ("admin", "alice")
    assert record.changes["seat_limit"] == [None, 25]
    assert record.changes["matching_attribute"] == ["userName", "email"]
    html = page(admin_client.get("/admin/settings"))
    assert checked(html, "matching_attribute", "email") and 'value="25"' in html
    assert '<input checked id="require_email"' in html


def test_saving_nothing_new_records_nothing(admin_client):
    data = {"matching_attribute": "userName", "delete_mode": "delete",
            "unknown_attributes": "ignore", "seat_limit": ""}
    response = admin_client.post("/admin/settings", data=data, follow_redirects=True)
    assert "Nothing changed." in page(response)
    assert changes() == []


def test_an_empty_seat_limit_removes_the_limit(admin_client):
    admin_client.post("/admin/settings", data=VALID)
    admin_client.post("/admin/settings", data={**VALID, "seat_limit": ""})
    settings.invalidate()
    assert settings.get("seat_limit") is None
    assert changes()[-1].changes == {"seat_limit": [25, None]}


@pytest.mark.parametrize("override, message", [
    ({"seat_limit": "0"}, "Enter 1 or more, or leave it empty."),
    ({"seat_limit": "-3"}, "Enter 1 or more, or leave it empty."),
    ({"seat_limit": "ten"}, "Enter a whole number, e.g. 90."),
    ({"matching_attribute": "employeeNumber"}, "Not a valid choice."),
    ({"matching_attribute": None}, "Choose one."),
    ({"delete_mode": "archive"}, "Not a valid choice."),
    ({"delete_mode": None}, "Choose one."),
    ({"unknown_attributes": "warn"}, "Not a valid choice."),
])
def test_validation(admin_client, override, message):
    data = {k: v for k, v in {**VALID, **override}.items() if v is not None}
    response = admin_client.post("/admin/settings", data=data)
    assert response.status_code == 400
    assert message in page(response)
    assert changes() == []
