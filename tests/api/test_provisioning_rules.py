"""Each provisioning rule, set in the admin UI, and its effect on SCIM requests over HTTP."""

import pytest
from sqlalchemy import select

from models import User
from models import db
from services import rules
from tests.admin.helpers import fresh_client  # noqa: F401 (fixture)
from tests.admin.helpers import page
from tests.admin.helpers import signed_in_admin  # noqa: F401 (fixture)
from tests.conftest import user_body

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


@pytest.fixture
def set_rules(admin):
    """Save rules through the settings form, keeping the others as they are."""

    def save(**values):
        current = {**rules.current(), **values}
        form = {k: v for k, v in current.items() if v not in (None, False)}
        form = {k: ("y" if v is True else str(v)) for k, v in form.items()}
        response = admin.post("/admin/settings", data=form)
        assert response.status_code == 302, page(response)
        assert {k: rules.current()[k] for k in values} == values

    return save


def replace(path, value):
    return {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": path, "value": value}]}


def directory(admin, query):
    return page(admin.get(f"/admin/directory?{query}"))


def test_seat_limit_creates_users_beyond_it_deactivated_and_waiting(scim, admin, set_rules):
    set_rules(seat_limit=2)
    first = scim.post("Users", user_body("a@example.com")).get_json()
    scim.post("Users", user_body("b@example.com"))
    third = scim.post("Users", user_body("c@example.com"))
    assert third.status_code == 201
    assert third.get_json()["active"] is False
    waiting = third.get_json()["id"]
    assert scim.get(f"Users/{waiting}").get_json()["active"] is False
    assert ">c@example.com</a>" in directory(admin, "state=waiting")
    assert ">a@example.com</a>" not in directory(admin, "state=waiting")
    # Entra re-sends active=true: still no seat.
    assert scim.patch(f"Users/{waiting}", replace("active", True)).get_json()["active"] is False
    # A seat frees up; the next activation takes it.
    scim.patch(f"Users/{first['id']}", replace("active", False))
    assert scim.patch(f"Users/{waiting}", replace("active", True)).get_json()["active"] is True
    assert ">c@example.com</a>" not in directory(admin, "state=waiting")


def test_without_a_seat_limit_everyone_is_active(scim, set_rules):
    set_rules(seat_limit=1)
    set_rules(seat_limit=None)
    for name in ("a", "b", "c"):
        assert scim.post("Users", user_body(name)).get_json()["active"] is True


def test_a_user_created_inactive_takes_no_seat(scim, set_rules):
    set_rules(seat_limit=1)
    assert scim.post("Users", user_body("a", active=False)).get_json()["active"] is False
    assert scim.post("Users", user_body("b")).get_json()["active"] is True
    assert db.session.execute(select(User.seat_waiting)).scalars().all() == [False, False]


def test_without_link_on_create_a_duplicate_post_is_409(scim, set_rules):
    set_rules(link_on_create=False)
    scim.post("Users", user_body("ann@example.com"))
    response = scim.post("Users", user_body("ANN@example.com"))
    assert response.status_code == 409
    assert response.get_json()["scimType"] == "uniqueness"


@pytest.mark.parametrize("second", [
    user_body("ann@example.com", displayName="Ann Updated"),                # same userName
    user_body("ann.other", displayName="Ann Updated",                       # same work email
              # (a matching key only with email as the matching attribute)
              emails=[{"value": "ANN@example.com", "type": "work"}]),
    user_body("ann.third", displayName="Ann Updated", externalId="ext-1",   # same externalId
              emails=[{"value": "other@example.com", "type": "work"}]),
])
def test_link_on_create_returns_the_existing_user(scim, set_rules, second):
    set_rules(link_on_create=True, matching_attribute="email")
    first = scim.post("Users", user_body("ann@example.com", externalId="ext-1")).get_json()
    response = scim.post("Users", second)
    assert response.status_code == 200  # linked: updated, not created
    body = response.get_json()
    assert body["id"] == first["id"]
    assert body["displayName"] == "Ann Updated"
    assert scim.get("Users").get_json()["totalResults"] == 1


def test_require_email(scim, set_rules):
    set_rules(require_email=True)
    for body in (user_body("a", emails=[]), {"userName": "b"},
                 user_body("c", emails=[{"type": "work", "value": ""}])):
        response = scim.post("Users", body)
        assert response.status_code == 400, body
        assert "email" in response.get_json()["detail"]
    created = scim.post("Users", user_body("d@example.com")).get_json()
    removed = scim.patch(f"Users/{created['id']}", {
        "schemas": [PATCH_OP], "Operations": [{"op": "remove", "path": "emails"}]})
    assert removed.status_code == 400
    set_rules(require_email=False)
    assert scim.post("Users", {"userName": "b"}).status_code == 201


def test_matching_by_email_makes_the_work_email_unique(scim, set_rules):
    set_rules(matching_attribute="email")
    scim.post("Users", user_body("a", emails=[{"value": "same@example.com", "type": "work"}]))
    response = scim.post("Users", user_body(
        "b", emails=[{"value": "SAME@example.com", "type": "work"}]))
    assert response.status_code == 409
    assert response.get_json()["scimType"] == "uniqueness"
    other = scim.post("Users", user_body(
        "c", emails=[{"value": "c@example.com", "type": "work"}])).get_json()
    patched = scim.patch(f"Users/{other['id']}",
                         replace('emails[type eq "work"].value', "same@example.com"))
    assert patched.status_code == 409


def test_matching_by_username_allows_a_shared_email(scim, set_rules):
    set_rules(matching_attribute="userName")
    for name in ("a", "b"):
        body = user_body(name, emails=[{"value": "same@example.com", "type": "work"}])
        assert scim.post("Users", body).status_code == 201


def test_delete_mode_deactivate_hides_and_keeps_the_user(scim, admin, set_rules):
    set_rules(delete_mode="deactivate")
    user = scim.post("Users", user_body("gone@example.com")).get_json()
    assert scim.delete(f"Users/{user['id']}").status_code == 204
    assert scim.get(f"Users/{user['id']}").status_code == 404
    assert scim.get('Users?filter=userName eq "gone@example.com"').get_json()["totalResults"] == 0
    kept = db.session.get(User, user["id"])
    assert kept.hidden and not kept.active
    assert ">gone@example.com</a>" in directory(admin, "state=hidden")
    assert "hidden</span>" in page(admin.get(f"/admin/directory/users/{user['id']}"))
    # Entra provisions the person again: the kept user comes back.
    again = scim.post("Users", user_body("gone@example.com"))
    assert again.status_code == 200 and again.get_json()["id"] == user["id"]  # as in /Bulk



def test_a_hidden_manager_stays_on_reports_until_someone_changes_it(scim, set_rules):
    set_rules(delete_mode="deactivate")
    boss = scim.post("Users", user_body("boss@example.com")).get_json()
    report = scim.post("Users", user_body("report@example.com", **{
        ENTERPRISE: {"manager": {"value": boss["id"]}}})).get_json()
    other = scim.post("Users", user_body("other@example.com")).get_json()
    assert scim.delete(f"Users/{boss['id']}").status_code == 204  # hidden, not deleted

    # Writes that leave the manager as it is go through: it was checked when it was set.
    patched = scim.patch(f"Users/{report['id']}", replace("title", "Analyst"))
    assert patched.status_code == 200, patched.get_json()
    assert patched.get_json()[ENTERPRISE]["manager"]["value"] == boss["id"]
    # Naming the hidden user as a new manager does not.
    response = scim.patch(f"Users/{other['id']}",
                          replace(f"{ENTERPRISE}:manager", {"value": boss["id"]}))
    assert response.status_code == 400
    assert "is not a user here" in response.get_json()["detail"]

def test_delete_mode_delete_removes_the_user(scim, admin, set_rules):
    set_rules(delete_mode="delete")
    user = scim.post("Users", user_body("gone@example.com")).get_json()
    assert scim.delete(f"Users/{user['id']}").status_code == 204
    assert scim.get(f"Users/{user['id']}").status_code == 404
    assert db.session.get(User, user["id"]) is None
    assert admin.get(f"/admin/directory/users/{user['id']}").status_code == 404
