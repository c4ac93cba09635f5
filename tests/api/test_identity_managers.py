"""HR-driven inbound: a manager by id or employeeNumber, pending until it arrives.

Issue 12 item 9, over HTTP as Entra's API-driven inbound provisioning sends it (/Bulk,
seed 003), on SQLite and PostgreSQL.
"""

from urllib.parse import quote

import pytest
from sqlalchemy import select

from models import ChangeRecord
from models import RequestLog
from models import User
from models import db
from services import rules
from tests.conftest import ADMIN
from tests.conftest import user_body

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def hr_user(number: str, user_name: str, manager: str | None = None) -> dict:
    """One operation as Microsoft's API-driven inbound sample writes it.

    The HR number as externalId and employeeNumber, the manager by HR number.
    """
    enterprise = {"employeeNumber": number, "department": "Tour Operations"}
    if manager is not None:
        enterprise["manager"] = {"value": manager, "displayName": "Sjef"}
    return {"method": "POST", "bulkId": user_name, "path": "/Users", "data": {
        "schemas": [CORE, ENTERPRISE], "externalId": number, "userName": user_name,
        "name": {"givenName": user_name.split("@")[0]}, "active": True,
        "emails": [{"value": user_name, "type": "work", "primary": True}],
        ENTERPRISE: enterprise}}


def feed(scim, *operations) -> list[str]:
    response = scim.post("Bulk", {"schemas": [BULK], "Operations": list(operations),
                                  "failOnErrors": None})
    assert response.status_code == 200, response.get_json()
    return [op["status"] for op in response.get_json()["Operations"]]


def user(scim, name: str) -> dict:
    body = scim.get("Users?filter=" + quote(f'userName eq "{name}"')).get_json()
    assert body["totalResults"] == 1, body
    return body["Resources"][0]


def manager_of(scim, name: str) -> dict | None:
    return user(scim, name).get(ENTERPRISE, {}).get("manager")


def notes() -> list[str]:
    db.session.rollback()
    rows = db.session.execute(select(RequestLog.notes).order_by(RequestLog.id)).scalars()
    return [note for row in rows for note in (row or [])]


@pytest.mark.parametrize("rule", [{}, {"link_on_create": True}])  # batched, then one by one
def test_a_report_before_its_manager_in_one_feed_is_linked(scim, rule):
    if rule:
        rules.save(rule, ADMIN)
    statuses = feed(scim, hr_user("701984", "Ørjan.Ås@ex.no", manager="89607"),
                    hr_user("89607", "İlker.Kaya@ex.tr"))
    assert statuses == ["201", "201"]
    boss = user(scim, "İlker.Kaya@ex.tr")
    assert manager_of(scim, "Ørjan.Ås@ex.no") == {
        "value": boss["id"], "$ref": f"http://localhost/scim/v2/Users/{boss['id']}"}
    report = user(scim, "Ørjan.Ås@ex.no")
    stored = db.session.get(User, report["id"])
    assert (stored.manager_id, stored.manager_ref) == (boss["id"], None)
    actions = db.session.execute(select(ChangeRecord.action).where(
        ChangeRecord.resource_id == report["id"]).order_by(ChangeRecord.id)).scalars()
    assert list(actions) == ["user.create", "user.patch"]
    assert any("kept pending" in note for note in notes())


def test_a_manager_already_there_is_found_by_employee_number(scim):
    assert feed(scim, hr_user("89607", "Élise@ex.fr")) == ["201"]
    assert feed(scim, hr_user("701984", "Weiß@ex.de", manager="89607")) == ["201"]
    boss = user(scim, "Élise@ex.fr")
    assert manager_of(scim, "Weiß@ex.de")["value"] == boss["id"]
    assert "manager employeeNumber '89607' is user " + boss["id"] in notes()
    found = scim.get("Users?filter=" + quote(f'{ENTERPRISE}:manager.value eq "{boss["id"]}"'))
    assert [u["userName"] for u in found.get_json()["Resources"]] == ["Weiß@ex.de"]


def test_a_pending_manager_shows_as_sent_until_it_arrives_later(scim):
    assert feed(scim, hr_user("701984", "Ørjan.Ås@ex.no", manager="89607")) == ["201"]
    assert manager_of(scim, "Ørjan.Ås@ex.no") == {"value": "89607"}  # no $ref yet
    before = user(scim, "Ørjan.Ås@ex.no")["meta"]["version"]
    assert feed(scim, hr_user("89607", "İlker.Kaya@ex.tr")) == ["201"]
    report = user(scim, "Ørjan.Ås@ex.no")
    assert report[ENTERPRISE]["manager"]["value"] == user(scim, "İlker.Kaya@ex.tr")["id"]
    assert report["meta"]["version"] != before  # its ETag changed with the link


def test_a_manager_by_id_still_works_and_an_unknown_id_is_refused(scim, make_user):
    boss = make_user("Boß@ex.de")
    report = make_user("Ærlig@ex.no", **{ENTERPRISE: {"manager": {"value": boss["id"]}}})
    assert report[ENTERPRISE]["manager"]["value"] == boss["id"]
    ghost = "00000000-0000-4000-8000-000000000000"
    response = scim.post("Users", user_body("Ñandú@ex.es", **{
        ENTERPRISE: {"manager": {"value": ghost}}}))
    assert response.status_code == 400 and ghost in response.get_json()["detail"]


def test_an_ambiguous_employee_number_stays_pending_and_is_noted(scim):
    assert feed(scim, hr_user("42", "Åse@ex.no"), hr_user("42", "Åsmund@ex.no")) == ["201", "201"]
    assert feed(scim, hr_user("7", "Émile@ex.fr", manager="42")) == ["201"]
    assert manager_of(scim, "Émile@ex.fr") == {"value": "42"}
    assert "manager employeeNumber '42' names 2 users: kept pending" in notes()


def test_a_patch_naming_an_employee_number_links_by_id(scim, make_user):
    boss = make_user("Strauß@ex.de", **{ENTERPRISE: {"employeeNumber": "E-9"}})
    report = make_user("Ødegård@ex.no")
    response = scim.patch(f"Users/{report['id']}", {"schemas": [PATCH_OP], "Operations": [
        {"op": "add", "path": f"{ENTERPRISE}.manager", "value": "E-9"}]})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()[ENTERPRISE]["manager"]["value"] == boss["id"]
    # The next cycle sends the number again: nothing changes, nothing is written.
    again = scim.patch(f"Users/{report['id']}", {"schemas": [PATCH_OP], "Operations": [
        {"op": "replace", "path": f"{ENTERPRISE}:manager", "value": {"value": "E-9"}}]})
    assert again.headers["ETag"] == response.headers["ETag"]


def test_a_replayed_feed_writes_nothing(scim):
    rules.save({"link_on_create": True}, ADMIN)
    operations = (hr_user("701984", "Ørjan.Ås@ex.no", manager="89607"),
                  hr_user("89607", "İlker.Kaya@ex.tr"))
    feed(scim, *operations)
    versions = {u["id"]: u["meta"]["version"] for u in scim.get("Users").get_json()["Resources"]}
    assert feed(scim, *operations) == ["200", "200"]
    after = {u["id"]: u["meta"]["version"] for u in scim.get("Users").get_json()["Resources"]}
    assert after == versions


def test_an_own_employee_number_is_not_a_manager(scim):
    response = scim.post("Users", user_body("Ølstad@ex.no", **{
        ENTERPRISE: {"employeeNumber": "5", "manager": {"value": "5"}}}))
    assert response.status_code == 400
    assert "own manager" in response.get_json()["detail"]
