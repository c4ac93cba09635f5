"""/Bulk (RFC 7644 §3.7): bulkId references, failOnErrors, limits, failures mid-request."""

import json

import pytest
from sqlalchemy import event

from models import db

BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
NOISE = ("settings", "custom_fields", "api_tokens", "request_log")


def bulk(*operations, **extra):
    return {"schemas": [BULK], "Operations": list(operations), **extra}


def new_user(bulk_id, user_name, **data):
    return {"method": "POST", "path": "/Users", "bulkId": bulk_id,
            "data": {"userName": user_name, "emails": [{"value": user_name, "type": "work"}],
                     **data}}


def new_group(bulk_id, name, *members):
    return {"method": "POST", "path": "/Groups", "bulkId": bulk_id,
            "data": {"displayName": name, "members": [{"value": m} for m in members]}}


def run(scim, body, status=200):
    response = scim.post("Bulk", body)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def find(scim, resource, expression):
    listed = scim.get(resource, query_string={"filter": expression}).get_json()
    return listed["Resources"]


def test_bulk_ids_resolve_in_members_manager_and_paths_forward_too(scim):
    body = run(scim, bulk(
        new_group("team", "Team", "bulkId:boss", "bulkId:worker"),  # both defined later
        new_user("worker", "worker@example.com",
                 **{ENTERPRISE: {"manager": {"value": "bulkId:boss"}}}),
        new_user("boss", "boss@example.com"),
        {"method": "PATCH", "path": "/Users/bulkId:worker", "data": {
            "schemas": [PATCH_OP],
            "Operations": [{"op": "replace", "path": "title", "value": "Engineer"}]}},
        {"method": "PATCH", "path": "/Groups/bulkId:team", "data": {
            "schemas": [PATCH_OP],
            "Operations": [{"op": "replace", "path": "displayName", "value": "Team 2"}]}},
    ))
    assert body["schemas"] == [BULK_RESPONSE]
    results = body["Operations"]
    assert [(r["method"], r.get("bulkId"), r["status"]) for r in results] == [
        ("POST", "team", "201"), ("POST", "worker", "201"), ("POST", "boss", "201"),
        ("PATCH", None, "200"), ("PATCH", None, "200")]
    boss, = find(scim, "Users", 'userName eq "boss@example.com"')
    worker, = find(scim, "Users", 'userName eq "worker@example.com"')
    assert results[2]["location"] == boss["meta"]["location"]
    assert results[1]["version"] == 'W/"1"' and results[3]["version"] == 'W/"2"'
    assert worker[ENTERPRISE]["manager"]["value"] == boss["id"]
    assert worker["title"] == "Engineer"
    team = scim.get(results[0]["location"].removeprefix("http://localhost")).get_json()
    assert sorted(m["value"] for m in team["members"]) == sorted([boss["id"], worker["id"]])
    assert team["displayName"] == "Team 2" and results[4]["version"] == 'W/"2"'


def test_put_and_delete_by_path(scim, make_user):
    user = make_user("old@example.com")
    group = scim.post("Groups", {"displayName": "Doomed"}).get_json()
    body = run(scim, bulk(
        {"method": "PUT", "path": f"/Users/{user['id']}", "version": 'W/"1"',
         "data": {"userName": "new@example.com", "emails": [{"value": "new@example.com"}]}},
        {"method": "DELETE", "path": f"/Groups/{group['id']}"},
    ))
    assert [r["status"] for r in body["Operations"]] == ["200", "204"]
    assert scim.get(f"Users/{user['id']}").get_json()["userName"] == "new@example.com"
    assert scim.get(f"Groups/{group['id']}").status_code == 404


def test_a_failure_in_the_middle_changes_nothing_of_its_own(scim, make_user):
    body = run(scim, bulk(
        new_user("a", "a@example.com"),
        new_group("g", "Half", "bulkId:a", "no-such-user"),  # fails: nothing of it is kept
        new_user("b", "b@example.com"),
    ))
    first, failed, last = body["Operations"]
    assert (first["status"], last["status"]) == ("201", "201")
    assert failed["status"] == "400" and "location" not in failed
    assert failed["response"]["scimType"] == "invalidValue"
    assert "no-such-user" in failed["response"]["detail"]
    assert find(scim, "Groups", 'displayName eq "Half"') == []
    assert len(find(scim, "Users", 'userName sw "a@" or userName sw "b@"')) == 2


def test_fail_on_errors_stops_processing(scim, make_user):
    make_user("taken@example.com")
    body = run(scim, bulk(
        new_user("ok", "ok@example.com"),
        new_user("dup", "taken@example.com"),  # 409
        new_user("never", "never@example.com"),
        failOnErrors=1,
    ))
    assert [(r["bulkId"], r["status"]) for r in body["Operations"]] == [("ok", "201"),
                                                                       ("dup", "409")]
    assert body["Operations"][1]["response"]["scimType"] == "uniqueness"
    assert find(scim, "Users", 'userName eq "never@example.com"') == []


def test_fail_on_errors_counts_errors(scim):
    body = run(scim, bulk(
        {"method": "DELETE", "path": "/Users/gone-1"},
        {"method": "DELETE", "path": "/Users/gone-2"},
        {"method": "DELETE", "path": "/Users/gone-3"},
        failOnErrors=2,
    ))
    assert [r["status"] for r in body["Operations"]] == ["404", "404"]


def test_reference_problems_fail_only_their_operations(scim):
    body = run(scim, bulk(
        new_group("x", "X", "bulkId:y"),
        new_group("y", "Y", "bulkId:x"),  # circular with x
        new_group("z", "Z", "bulkId:nowhere"),  # undefined
        new_user("bad", "bad@example.com", active="maybe"),  # fails by itself
        new_group("w", "W", "bulkId:bad"),  # depends on a failure
        new_user("fine", "fine@example.com"),
    ))
    statuses = {r["bulkId"]: r["status"] for r in body["Operations"]}
    assert statuses == {"x": "409", "y": "409", "z": "400", "bad": "400", "w": "409",
                        "fine": "201"}
    assert scim.get("Groups").get_json()["totalResults"] == 0


BAD_OPERATIONS = {
    "method": ({"method": "GET", "path": "/Users"}, "400"),
    "no bulkId": ({"method": "POST", "path": "/Users", "data": {"userName": "x"}}, "400"),
    "resource": ({"method": "POST", "path": "/Widgets", "bulkId": "w", "data": {}}, "400"),
    "id missing": ({"method": "PATCH", "path": "/Users", "data": {}}, "400"),
    "not found": ({"method": "PUT", "path": "/Groups/nope", "data": {"displayName": "x"}}, "404"),
    "data": ({"method": "POST", "path": "/Groups", "bulkId": "n", "data": "not an object"},
             "400"),
}


def test_bad_operations_fail_alone(scim):
    for number, (name, (operation, status)) in enumerate(BAD_OPERATIONS.items()):
        body = run(scim, bulk(operation, new_user("ok", f"ok{number}@example.com")))
        assert [r["status"] for r in body["Operations"]] == [status, "201"], name
        assert body["Operations"][0]["response"]["status"] == status, name


MALFORMED = {
    "no schemas": {"Operations": [new_user("a", "a@example.com")]},
    "no operations": bulk(),
    "duplicate bulkId": bulk(new_user("a", "a@example.com"), new_user("a", "b@example.com")),
    "failOnErrors": bulk(new_user("a", "a@example.com"), failOnErrors=0),
    "not an object": ["a list"],
}


def test_malformed_requests_are_rejected_whole(scim):
    for name, body in MALFORMED.items():
        response = scim.post("Bulk", body)
        assert response.status_code == 400, name
    assert scim.get("Users").get_json()["totalResults"] == 0


def test_entra_inbound_null_fail_on_errors(scim):
    body = run(scim, bulk(new_user("a", "a@example.com"), failOnErrors=None))
    assert body["Operations"][0]["status"] == "201"


@pytest.mark.parametrize("app_config", [{"SCIM_BULK_MAX_OPERATIONS": 3}])
def test_too_many_operations_is_413(scim):
    response = scim.post("Bulk", bulk(*(new_user(str(i), f"u{i}@example.com") for i in range(4))))
    assert response.status_code == 413
    assert response.content_type == "application/scim+json"
    assert "maxOperations" in response.get_json()["detail"]
    assert scim.get("Users").get_json()["totalResults"] == 0


@pytest.mark.parametrize("app_config", [{"SCIM_MAX_PAYLOAD": 2000}])
def test_payload_over_max_payload_size_is_413(scim):
    body = bulk(*(new_user(str(i), f"user{i}@example.com") for i in range(20)))
    assert len(json.dumps(body)) > 2000
    response = scim.post("Bulk", body)
    assert response.status_code == 413
    assert response.get_json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert response.get_json()["status"] == "413"
    assert scim.get("Users").get_json()["totalResults"] == 0
    assert run(scim, bulk(new_user("one", "one@example.com")))["Operations"][0]["status"] == "201"


@pytest.mark.parametrize("app_config", [{"MAX_CONTENT_LENGTH": 1000}])
def test_max_content_length_answers_scim_413_everywhere(scim):
    response = scim.post("Groups", {"displayName": "x" * 2000})
    assert response.status_code == 413
    assert response.get_json()["status"] == "413"


def entra_inbound_user(i):
    """One record of an Entra API-driven inbound provisioning payload (seed 003)."""
    return {"method": "POST", "bulkId": f"897401c2-2de4-4b87-a97f-{i:012d}", "path": "/Users",
            "data": {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
                "id": f"2819c223-{i}", "externalId": f"70{i:04d}",
                "userName": f"user{i}@example.com",
                "name": {"familyName": "Jensen", "givenName": "Barbara"},
                "displayName": f"Babs Jensen {i}",
                "emails": [{"value": f"user{i}@example.com", "type": "work", "primary": True}],
                "phoneNumbers": [{"value": "555-555-5555", "type": "work"}],
                "userType": "Employee", "title": "Tour Guide", "active": True,
                ENTERPRISE: {"employeeNumber": f"70{i:04d}", "department": "Tour Operations"}}}


def count_statements(send) -> int:
    """Statements run by send(), per-process cache refreshes and the request log left out."""
    seen = []

    def record(conn, cursor, statement, *args):
        if not any(name in statement for name in NOISE):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = send()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert response.status_code in (200, 201)
    assert {r["status"] for r in response.get_json().get("Operations", [{"status": "201"}])} \
        == {"201"}
    return len(seen)


def test_entra_inbound_payload_of_50_costs_what_a_payload_of_2_costs(scim):
    users = iter(entra_inbound_user(i) for i in range(1000))

    def send(*operations):
        return lambda: scim.post("Bulk", bulk(*operations, failOnErrors=None))

    single = count_statements(lambda: scim.post("Users", next(users)["data"]))
    two = count_statements(send(next(users), next(users)))
    fifty = count_statements(send(*(next(users) for _ in range(50))))
    print(f"statements: POST /Users {single}, bulk of 2 {two}, 50 {fifty}")
    assert fifty == two  # the creates are written together, not one by one
    # On PostgreSQL a lone write sends its change record and event in one statement
    # (services/audit record_many); a batch sends one INSERT of each for all its rows.
    assert two <= single + 1
    assert scim.get("Users").get_json()["totalResults"] == 53
