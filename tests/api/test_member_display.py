"""Group members come back as the client wrote them (RFC 7643 §4.2).

`display` is returned only when the client sent one.
"""

import pytest

from tests.admin.helpers import cheap_hashes
from tests.admin.helpers import make_account
from tests.admin.helpers import sign_in

GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.fixture
def people(make_user):
    return [make_user(f"{n}@example.com", displayName=d)["id"]
            for n, d in (("bjorn", "Bjørn Ø"), ("elise", "Élise"), ("ilke", "İlke"))]


def members(scim, group_id) -> dict:
    return {m["value"]: m for m in scim.get(f"Groups/{group_id}").get_json()["members"]}


def patch(scim, group_id, *operations):
    body = {"schemas": [PATCH], "Operations": list(operations)}
    response = scim.patch(f"Groups/{group_id}", body)
    assert response.status_code in (200, 204), response.get_json()


def test_display_is_returned_only_when_the_client_stored_one(scim, people):
    a, b, c = people
    created = scim.post("Groups", {"schemas": [GROUP], "displayName": "Größe", "members": [
        {"value": a, "display": "Bjørn as Okta calls him"}, {"value": b}]}).get_json()
    shown = members(scim, created["id"])
    assert shown[a]["display"] == "Bjørn as Okta calls him"
    assert "display" not in shown[b]
    patch(scim, created["id"], {"op": "add", "path": "members",
                                "value": [{"value": c, "display": "ＩＬＫＥ"}]})
    assert members(scim, created["id"])[c] == {
        "value": c, "$ref": f"http://localhost/scim/v2/Users/{c}", "type": "User",
        "display": "ＩＬＫＥ"}


def test_a_replace_stores_the_display_sent_again(scim, people):
    a, b, _ = people
    group = scim.post("Groups", {"schemas": [GROUP], "displayName": "Ærø",
                                 "members": [{"value": a}]}).get_json()
    patch(scim, group["id"], {"op": "replace", "path": "members",
                              "value": [{"value": a, "display": "Bjørn"}, {"value": b}]})
    shown = members(scim, group["id"])
    assert shown[a]["display"] == "Bjørn" and "display" not in shown[b]
    put = scim.put(f"Groups/{group['id']}", {"schemas": [GROUP], "displayName": "Ærø",
                                             "members": [{"value": a, "display": "B. Ø"}]})
    assert put.status_code == 200
    assert [m.get("display") for m in put.get_json()["members"]] == ["B. Ø"]


def test_the_users_groups_still_carry_the_group_names(scim, people):
    a = people[0]
    scim.post("Groups", {"schemas": [GROUP], "displayName": "Ωmega", "members": [{"value": a}]})
    groups = scim.get(f"Users/{a}").get_json()["groups"]
    assert [g["display"] for g in groups] == ["Ωmega"]


def test_the_admin_directory_shows_names_read_from_the_users(scim, people, app, monkeypatch):
    a = people[0]
    group = scim.post("Groups", {"schemas": [GROUP], "displayName": "Ωmega",
                                 "members": [{"value": a, "display": "what Okta wrote"}]})
    cheap_hashes(monkeypatch)
    make_account("alice", "admin")
    admin = app.test_client()
    assert sign_in(admin, "alice").status_code == 302
    html = admin.get(f"/admin/directory/groups/{group.get_json()['id']}").get_data(as_text=True)
    assert "Bjørn Ø" in html and "what Okta wrote" not in html
