"""Every request under /scim/v2 leaves a request-log row, whatever happens to it."""

import pytest

from models import ChangeRecord
from models import RequestLog


def last(rows):
    return rows(RequestLog)[-1]


def test_read_is_logged_with_token_resource_and_decoded_query(scim, make_user, rows):
    user = make_user("bjensen@example.com")
    response = scim.get(f"Users/{user['id']}")
    row = last(rows)
    assert (row.method, row.status, row.status_class) == ("GET", 200, 2)
    assert (row.resource_type, row.resource_id) == ("User", user["id"])
    assert row.token_name == "test-token" and row.token_prefix.startswith("rcscim_")
    assert row.request_id == response.headers["X-Request-Id"]
    assert row.client_ip and row.duration_ms >= 0 and row.content_hash

    scim.get('Users?filter=userName eq "bjensen@example.com"')
    assert last(rows).path == '/scim/v2/Users?filter=userName eq "bjensen@example.com"'


def test_writes_are_logged_with_their_change_records(scim, make_user, rows):
    user = make_user("a@example.com")
    scim.patch(f"Users/{user['id']}", {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "title", "value": "Boss"}]})
    scim.delete(f"Users/{user['id']}")
    requests = rows(RequestLog)[-3:]
    changes = rows(ChangeRecord)[-3:]
    assert [r.method for r in requests] == ["POST", "PATCH", "DELETE"]
    assert [c.action for c in changes] == ["user.create", "user.patch", "user.delete"]
    assert [c.request_id for c in changes] == [r.request_id for r in requests]
    assert changes[1].changes == {"title": [None, "Boss"]}
    assert changes[1].actor == "test-token" and changes[1].actor_kind == "token"


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/scim/v2/Nope", 404),
    ("DELETE", "/scim/v2/Users", 405),
    ("GET", "/scim/v2/Users/does-not-exist", 404),
])
def test_failures_are_logged(scim, rows, method, path, status):
    response = scim._call(method, path)
    assert response.status_code == status
    row = last(rows)
    assert (row.method, row.path, row.status) == (method, path, status)
    assert row.error and row.request_id in response.get_json()["detail"]


def test_failed_authentication_is_logged_without_a_token(client, rows):
    response = client.get("/scim/v2/Users", headers={"Authorization": "Bearer rcscim_wrong"})
    assert response.status_code == 401
    row = last(rows)
    assert (row.status, row.token_name, row.token_prefix) == (401, None, None)
    assert "rcscim_wrong" not in repr(row.__dict__)
    client.get("/scim/v2/Users")
    assert last(rows).status == 401


def test_bad_json_is_logged(scim, rows):
    response = scim.client.post("/scim/v2/Users", data=b"{not json", headers=scim.headers)
    assert response.status_code == 400
    row = last(rows)
    assert (row.method, row.status, row.resource_type) == ("POST", 400, "User")
    assert "JSON" in row.error


@pytest.mark.parametrize("app_config", [{"MAX_CONTENT_LENGTH": 1000}])
def test_too_large_is_logged(scim, rows):
    response = scim.post("Users", {"userName": "x" * 5000})
    assert response.status_code == 413
    assert last(rows).status == 413


def test_ignored_attributes_are_noted(scim, rows):
    scim.post("Users", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                        "userName": "n@example.com", "favouriteColour": "teal"})
    assert any("favouriteColour" in note for note in last(rows).notes)


def test_secret_query_parameters_are_masked(scim, rows):
    scim.get("Users?access_token=rcscim_leaked&count=1")
    assert last(rows).path == "/scim/v2/Users?access_token=[redacted]&count=1"


@pytest.mark.parametrize("app_config", [{"REQUEST_LOG_ENABLED": False}])
def test_the_log_can_be_switched_off_for_benchmarks(scim, count):
    scim.get("Users")
    assert count(RequestLog) == 0
