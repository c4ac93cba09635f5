"""Inputs that once gave a 500 or held a worker: each answers 4xx, with bounded work."""

import http.client
import json

import pytest
from sqlalchemy import select

from models import RequestLog
from models import db
from services import custom_fields
from services.actor import CLI
from services.audit import requestlog
from services.context import MAX_NOTES
from tests.admin.helpers import FreshClient
from tests.admin.helpers import cheap_hashes
from tests.admin.helpers import make_account
from tests.admin.helpers import sign_in
from tests.hardening.support import Server
from tests.hardening.support import new_token
from tests.hardening.support import user_body

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
HUGE = "99999999999999999999999"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"


def scim_error(response, status, scim_type=None):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["schemas"] == [ERROR] and body.get("scimType") == scim_type
    return body


@pytest.mark.parametrize("text", [
    'meta.created gt "9999-12-31T23:59:59-14:00"',
    'meta.lastModified lt "0001-01-01T00:00:00+14:00"',
    f"urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User:seatNumber eq {HUGE}",
    "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User:seatNumber "
    "gt -9223372036854775809",
])
def test_filters_out_of_range_are_invalid_filters(app, scim, text):
    custom_fields.define("seatNumber", "integer", False, "Sitz-Nr. Ø", CLI)
    scim_error(scim.get("Users", query_string={"filter": text}), 400, "invalidFilter")


@pytest.mark.parametrize("number", ["9223372036854775807", "-2147483649", "2147483648"])
def test_a_64_bit_integer_still_filters(app, scim, number):
    custom_fields.define("seatNumber", "integer", False, "", CLI)
    text = ("urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User:seatNumber "
            f"eq {number}")
    assert scim.get("Users", query_string={"filter": text}).status_code == 200


@pytest.mark.parametrize("value", ["٣", "５", "1_000", "+5", "1e300", " 5", "0x10", "5.0"])
@pytest.mark.parametrize("name", ["startIndex", "count"])
def test_paging_numbers_are_ascii_digits(scim, name, value):
    scim_error(scim.get("Users", query_string={name: value}), 400, "invalidValue")


def test_paging_numbers_in_a_search_body_are_json_integers(scim):
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "count": 1e300}
    scim_error(scim.post("Users/.search", body), 400, "invalidValue")
    body["count"] = 2
    assert scim.post("Users/.search", body).status_code == 200


def test_scim_responses_are_not_stored_by_caches(scim):
    for response in (scim.get("Users"), scim.get("Users/nope"), scim.get("Nope"),
                     scim.get("ServiceProviderConfig")):
        assert response.headers["Cache-Control"] == "no-store"


def test_a_long_bulk_id_chain_resolves_without_recursion(app, scim):
    depth = 480
    ops = [{"method": "POST", "path": "/Groups", "bulkId": "g0",
            "data": {"displayName": "Gruppe 0 Ø"}}]
    for n in range(1, depth):
        ops.append({"method": "POST", "path": "/Groups", "bulkId": f"g{n}", "data": {
            "displayName": f"Gruppe {n} Ø", "members": [{"value": f"bulkId:g{n - 1}"}]}})
    ops.reverse()  # the first operation needs all the others first
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": ops}
    response = scim.post("Bulk", body)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    statuses = [op["status"] for op in response.get_json()["Operations"]]
    assert statuses == ["201"] * depth


def test_a_bulk_id_chain_past_the_limit_is_a_409_not_a_crash(app, scim, monkeypatch):
    from services import bulk

    monkeypatch.setattr(bulk, "MAX_CHAIN", 5)
    ops = [{"method": "POST", "path": "/Groups", "bulkId": f"g{n}", "data": {
        "displayName": f"Gruppe {n}", **({"members": [{"value": f"bulkId:g{n + 1}"}]}
                                         if n < 9 else {})}} for n in range(10)]
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": ops}
    results = scim.post("Bulk", body).get_json()["Operations"]
    assert {result["status"] for result in results[:5]} == {"409"}
    assert any("deeper than 5" in result["response"]["detail"] for result in results)


def test_a_hundred_thousand_unknown_keys_keep_a_bounded_note(app, scim):
    body = user_body("viele@example.com")
    body.update({f"{n:x}": 0 for n in range(100_000)})
    raw = json.dumps(body, separators=(",", ":"))
    assert len(raw) < app.config["SCIM_MAX_PAYLOAD"]
    response = scim.client.post("/scim/v2/Users", data=raw, headers=scim.headers)
    assert response.status_code == 201
    requestlog.writer_for(app).flush()
    notes = db.session.execute(select(RequestLog.notes)).scalars().one()
    assert len(notes) == MAX_NOTES + 1 and notes[-1].endswith("more notes")
    assert len(json.dumps(notes)) < 4000


@pytest.fixture
def admin(app, monkeypatch):
    cheap_hashes(monkeypatch)
    make_account("Zoë")
    app.test_client_class = FreshClient
    client = app.test_client()
    sign_in(client, "Zoë")
    return client


@pytest.mark.parametrize("path", [
    f"/admin/audit/?before={HUGE}", f"/admin/audit/?after={HUGE}",
    f"/admin/audit/?status={HUGE}", f"/admin/audit/requests/{HUGE}",
    f"/admin/audit/changes/{HUGE}", f"/admin/tokens/{HUGE}/revoke",
    f"/admin/tokens/{HUGE}/rotate", "/admin/audit/?before=٣",
])
def test_huge_ids_in_the_admin_ui_are_no_500(admin, path):
    assert admin.get(path).status_code in (200, 404)


def test_a_chunked_body_over_max_payload_is_413(app, tmp_path):
    secret = new_token()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    small = json.dumps(user_body("klein@example.com")).encode()
    # Padded with spaces: cut at the limit it would still be valid JSON.
    big = json.dumps(user_body("gross@example.com")).encode() + b" " * 5000
    with Server(tmp_path, url, workers=1, threads=2, SCIM_MAX_PAYLOAD="3000") as server:
        statuses = [_post_chunked(server.base, secret, body) for body in (big, small)]
    assert statuses == [413, 201]


def _post_chunked(base: str, secret: str, body: bytes) -> int:
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request("POST", "/scim/v2/Users", body=(body[i:i + 700]
                                                     for i in range(0, len(body), 700)),
                     headers={"Authorization": f"Bearer {secret}", "Content-Type":
                              "application/scim+json", "Transfer-Encoding": "chunked"},
                     encode_chunked=True)
        return conn.getresponse().status
    finally:
        conn.close()
