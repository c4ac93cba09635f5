"""One matching key (scim/casefold.py) for userName, group displayName and emails, over HTTP.

The issue's exact requests: each runs on SQLite and on PostgreSQL (TEST_DATABASE_URL).
"""

from urllib.parse import quote

import pytest

from services import rules
from tests.admin.helpers import fresh_client  # noqa: F401 (fixture)
from tests.admin.helpers import signed_in_admin  # noqa: F401 (fixture)
from tests.conftest import ADMIN
from tests.conftest import user_body

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def found(scim, resource, text, **params):
    query = "&".join([f"filter={quote(text)}", *(f"{k}={v}" for k, v in params.items())])
    response = scim.get(f"{resource}?{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def names(body, attr="userName"):
    return sorted(r[attr] for r in body["Resources"])


def group_body(name):
    return {"schemas": [GROUP], "displayName": name}


@pytest.mark.parametrize("lookup", ["Øyvind.Berg@ex.no", "øyvind.berg@ex.no",
                                    "ØYVIND.BERG@EX.NO"])
def test_entras_lookup_finds_a_non_ascii_user_name(scim, make_user, lookup):
    created = make_user("Øyvind.Berg@ex.no")
    body = found(scim, "Users", f'userName eq "{lookup}"')
    assert body["totalResults"] == 1
    assert body["Resources"][0]["id"] == created["id"]


def test_the_general_filter_path_uses_the_same_key(scim, make_user):
    """Not the one-row fast path: a compound filter, and a second page start."""
    make_user("Øyvind.Berg@ex.no")
    assert found(scim, "Users", 'userName eq "øyvind.berg@ex.no" and active eq true'
                 )["totalResults"] == 1
    assert found(scim, "Users", 'userName eq "øyvind.berg@ex.no"', startIndex=2
                 )["totalResults"] == 1


def test_two_spellings_of_one_name_are_one_account(scim, make_user):
    make_user("Ørjan@x.no")
    response = scim.post("Users", user_body("ørjan@x.no"))
    assert response.status_code == 409
    assert response.get_json()["scimType"] == "uniqueness"
    assert found(scim, "Users", 'userName pr')["totalResults"] == 1


def test_a_dotted_capital_i_is_found_by_its_exact_name(scim, make_user):
    created = make_user("İlker.Kaya@ex.tr")
    body = found(scim, "Users", 'userName eq "İlker.Kaya@ex.tr"')
    assert [r["id"] for r in body["Resources"]] == [created["id"]]
    assert body["Resources"][0]["userName"] == "İlker.Kaya@ex.tr"  # stored as sent


@pytest.mark.parametrize("first, second", [("STRASSE@x.de", "straße@x.de"),
                                           ("ｊｏｈｎ@x.no", "john@x.no"),
                                           ("ÅSE@x.no", "Åse@x.no")])
def test_nfkc_casefold_equivalents_collide_and_find_each_other(scim, make_user, first, second):
    created = make_user(first)
    assert scim.post("Users", user_body(second)).status_code == 409
    body = found(scim, "Users", f'userName eq "{second}"')
    assert [r["id"] for r in body["Resources"]] == [created["id"]]


def test_substring_operators_compare_keys_with_wildcards_escaped(scim, make_user):
    make_user("Øyvind_Berg@ex.no")
    make_user("ØyvindXBerg@ex.no")
    assert names(found(scim, "Users", 'userName sw "øYVIND"')) == [
        "ØyvindXBerg@ex.no", "Øyvind_Berg@ex.no"]
    assert names(found(scim, "Users", 'userName co "d_b"')) == ["Øyvind_Berg@ex.no"]
    assert names(found(scim, "Users", 'userName ew "BERG@EX.NO"')) == [
        "ØyvindXBerg@ex.no", "Øyvind_Berg@ex.no"]
    assert names(found(scim, "Users", 'userName co "strasse"')) == []
    make_user("Straße.Nord@x.de")
    assert names(found(scim, "Users", 'userName co "STRASSE"')) == ["Straße.Nord@x.de"]


def test_sorting_by_user_name_follows_the_key(scim, make_user):
    for name in ("Øyvind@x.no", "anna@x.no", "Bjørn@x.no", "øst@x.no"):
        make_user(name)
    body = scim.get("Users?sortBy=userName").get_json()
    # Ø and ø share a key, so "øst" sorts before "Øyvind" on both databases.
    assert [r["userName"] for r in body["Resources"]] == [
        "anna@x.no", "Bjørn@x.no", "øst@x.no", "Øyvind@x.no"]


def test_external_id_stays_case_exact(scim, make_user):
    make_user("Ørjan@x.no", externalId="Ørjan-1")
    assert found(scim, "Users", 'externalId eq "Ørjan-1"')["totalResults"] == 1
    assert found(scim, "Users", 'externalId eq "ørjan-1"')["totalResults"] == 0


def test_a_patched_user_name_is_found_and_checked_by_its_key(scim, make_user):
    user = make_user("Ørjan@x.no")
    make_user("Åse@x.no")
    patch = {"schemas": [PATCH_OP],
             "Operations": [{"op": "replace", "path": "userName", "value": "Ølav@x.no"}]}
    assert scim.patch(f"Users/{user['id']}", patch).status_code == 200
    assert found(scim, "Users", 'userName eq "ølav@x.no"')["totalResults"] == 1
    assert found(scim, "Users", 'userName eq "ørjan@x.no"')["totalResults"] == 0
    patch["Operations"][0]["value"] = "åse@x.no"
    assert scim.patch(f"Users/{user['id']}", patch).status_code == 409


def test_a_replaced_user_name_is_checked_by_its_key(scim, make_user):
    user = make_user("Ørjan@x.no")
    make_user("STRASSE@x.de")
    response = scim.put(f"Users/{user['id']}", user_body("straße@x.de"))
    assert response.status_code == 409


def test_work_email_filter_compares_keys(scim, make_user):
    created = make_user("oyvind", emails=[{"value": "Øyvind.Berg@ex.no", "type": "work"}])
    body = found(scim, "Users", 'emails[type eq "work"].value eq "øyvind.berg@ex.no"')
    assert [r["id"] for r in body["Resources"]] == [created["id"]]
    body = found(scim, "Users", 'emails[type eq "work" and value eq "ØYVIND.BERG@EX.NO"]')
    assert [r["id"] for r in body["Resources"]] == [created["id"]]
    assert found(scim, "Users", 'emails.value sw "øyvind."')["totalResults"] == 1


def test_email_matching_rule_treats_spellings_as_one_address(scim, make_user):
    rules.save({"matching_attribute": "email"}, ADMIN)
    make_user("first", emails=[{"value": "STRASSE@x.de", "type": "work"}])
    response = scim.post("Users", user_body("second", emails=[
        {"value": "straße@x.de", "type": "work"}]))
    assert response.status_code == 409


def test_link_on_create_finds_the_user_by_email_key(scim, make_user):
    rules.save({"link_on_create": True, "matching_attribute": "email"}, ADMIN)
    user = make_user("first", emails=[{"value": "Øyvind.Berg@ex.no", "type": "work"}])
    response = scim.post("Users", user_body("second", emails=[
        {"value": "øyvind.berg@ex.no", "type": "work"}]))
    assert response.get_json()["id"] == user["id"]
    assert found(scim, "Users", "userName pr")["totalResults"] == 1


@pytest.mark.parametrize("lookup", ["Ørkesteret", "ørkesteret", "ØRKESTERET"])
def test_group_display_name_lookup_uses_the_key(scim, lookup):
    group = scim.post("Groups", group_body("Ørkesteret")).get_json()
    body = found(scim, "Groups", f'displayName eq "{lookup}"')
    assert [g["id"] for g in body["Resources"]] == [group["id"]]
    body = found(scim, "Groups", f'displayName sw "{lookup[:3]}" and displayName pr')
    assert [g["id"] for g in body["Resources"]] == [group["id"]]


def test_group_display_names_are_unique_by_key(scim):
    first = scim.post("Groups", group_body("Ørkesteret"))
    assert first.status_code == 201
    assert scim.post("Groups", group_body("ørkesteret")).status_code == 409
    assert scim.post("Groups", group_body("ＳＴＲＡＳＳＥ")).status_code == 201
    assert scim.post("Groups", group_body("straße")).status_code == 409
    patch = {"schemas": [PATCH_OP],
             "Operations": [{"op": "replace", "path": "displayName", "value": "Strasse"}]}
    assert scim.patch(f"Groups/{first.get_json()['id']}", patch).status_code == 409


def test_bulk_creates_check_the_key(scim, make_user):
    make_user("Ørjan@x.no")
    bulk = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": [
        {"method": "POST", "path": "/Users", "bulkId": "a", "data": user_body("ørjan@x.no")},
        {"method": "POST", "path": "/Users", "bulkId": "b", "data": user_body("ｊｏｈｎ@x.no")},
        {"method": "POST", "path": "/Users", "bulkId": "c", "data": user_body("john@x.no")},
    ]}
    body = scim.post("Bulk", bulk).get_json()
    assert [op["status"] for op in body["Operations"]] == ["409", "201", "409"]


def test_the_admin_directory_search_uses_the_key(scim, make_user, admin):
    make_user("Øyvind.Berg@ex.no", emails=[{"value": "STRASSE@x.de", "type": "work"}])
    scim.post("Groups", group_body("Ørkesteret"))
    assert "Øyvind.Berg@ex.no" in admin.get("/admin/directory?q=ØYVIND").get_data(as_text=True)
    assert "Øyvind.Berg@ex.no" in admin.get("/admin/directory?q=straße").get_data(as_text=True)
    html = admin.get("/admin/directory/groups?q=ørkest").get_data(as_text=True)
    assert "Ørkesteret" in html
