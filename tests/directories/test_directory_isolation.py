"""A token serves one directory: every SCIM route, every method, both ways (issue 16)."""

import re

import pytest

from tests.conftest import user_body

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
PUBLIC = {"openapi_document"}


def scim_routes(app):
    """(rule, method) of every SCIM route of both registrations, OPTIONS and HEAD aside."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint.partition(".")[0] not in ("scim", "scim_directory"):
            continue
        if rule.endpoint.rpartition(".")[2] in PUBLIC:
            continue
        for method in sorted(rule.methods - {"OPTIONS", "HEAD"}):
            yield rule, method


def _url(rule, slug: str, ids: dict) -> str:
    def value(match):
        name = match.group(1)
        return slug if name == "directory" else ids.get(name, "x")
    return re.sub(r"<(?:\w+:)?(\w+)>", value, rule.rule)


def test_every_scim_route_exists_for_both_registrations(app):
    default = {(r.rule.removeprefix("/scim/v2"), m) for r, m in scim_routes(app)
               if r.endpoint.startswith("scim.")}
    directory = {(r.rule.removeprefix("/scim/v2/<directory>"), m) for r, m in scim_routes(app)
                 if r.endpoint.startswith("scim_directory.")}
    assert default == directory
    assert len(default) >= 20


@pytest.mark.parametrize("slug_of", ["the other directory", "an unknown slug"])
def test_the_default_token_is_refused_on_every_route_of_another_directory(
        app, client, token, other, other_scim, slug_of):
    user = other_scim.post("Users", user_body("ørjan@ostfold.no")).get_json()
    slug = other.slug if slug_of == "the other directory" else "nowhere"
    _walk(app, client, token, "scim_directory.", slug, {"user_id": user["id"]})
    assert other_scim.get(f"Users/{user['id']}").get_json()["userName"] == "ørjan@ostfold.no"


@pytest.mark.parametrize("slug_of", ["the default directory", "an unknown slug"])
def test_another_directorys_token_is_refused_on_every_route_elsewhere(
        app, client, other_token, make_user, slug_of):
    user = make_user("åse@default.no")
    prefix = "scim." if slug_of == "the default directory" else "scim_directory."
    _walk(app, client, other_token, prefix, "nowhere", {"user_id": user["id"]})


def _walk(app, client, secret, prefix, slug, ids):
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/scim+json"}
    walked = 0
    for rule, method in scim_routes(app):
        if not rule.endpoint.startswith(prefix):
            continue
        url = _url(rule, slug, ids)
        response = client.open(url, method=method, json=user_body("İlkay"), headers=headers)
        assert response.status_code == 401, (method, url, response.get_json())
        body = response.get_json()
        assert body["schemas"] == [ERROR] and body["status"] == "401", (method, url)
        assert "not valid for this Tenant URL" in body["detail"]
        walked += 1
    assert walked >= 20


def test_the_same_user_name_lives_in_two_directories(scim, other_scim):
    mine = scim.post("Users", user_body("Øyvind@x.no")).get_json()
    theirs = other_scim.post("Users", user_body("øyvind@X.NO"))
    assert theirs.status_code == 201
    assert theirs.get_json()["id"] != mine["id"]
    for client, expected in ((scim, mine["id"]), (other_scim, theirs.get_json()["id"])):
        found = client.get('Users?filter=userName eq "ØYVIND@x.no"').get_json()
        assert [r["id"] for r in found["Resources"]] == [expected]
        assert client.get("Users").get_json()["totalResults"] == 1


def test_reads_by_id_do_not_cross_directories(scim, other_scim):
    theirs = other_scim.post("Users", user_body("ßtefan")).get_json()
    group = other_scim.post("Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                       "displayName": "Ｆｕｌｌｗｉｄｔｈ"}).get_json()
    assert scim.get(f"Users/{theirs['id']}").status_code == 404
    assert scim.get(f"Groups/{group['id']}").status_code == 404
    assert scim.delete(f"Users/{theirs['id']}").status_code == 404
    patch = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations": [{"op": "replace", "path": "displayName", "value": "x"}]}
    assert scim.patch(f"Groups/{group['id']}", patch).status_code == 404
    assert scim.post(".search", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}
                     ).get_json()["totalResults"] == 0
    assert other_scim.get(f"Users/{theirs['id']}").status_code == 200


def test_a_group_cannot_take_a_member_of_another_directory(scim, other_scim):
    theirs = other_scim.post("Users", user_body("Émile")).get_json()
    group = scim.post("Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                 "displayName": "Ops", "members": [{"value": theirs["id"]}]})
    assert group.status_code == 400, group.get_json()
    assert scim.get("Groups").get_json()["totalResults"] == 0


def test_locations_name_the_directorys_tenant_url(other_scim):
    created = other_scim.post("Users", user_body("Ørnulf"))
    assert "/scim/v2/ostfold/Users/" in created.headers["Location"]
    assert "/scim/v2/ostfold/Users/" in created.get_json()["meta"]["location"]


def test_admin_pages_show_the_current_directorys_tenant_url(app, other):
    from blueprints.scim import base_url
    from services.context import in_directory

    with app.test_request_context("/admin/setup"):
        assert base_url() == "http://localhost/scim/v2"
        with in_directory(other.id):
            assert base_url() == "http://localhost/scim/v2/ostfold"


def test_metrics_count_per_directory(app, client, scim, other_scim):
    scim.post("Users", user_body("Åse"))
    other_scim.post("Users", user_body("Åse"))
    other_scim.post("Users", user_body("Ørjan"))
    app.config["METRICS_ALLOW"] = "127.0.0.1/32"
    text = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_data(as_text=True)
    assert 'rollcall_users{directory="default",state="active"} 1.0' in text
    assert 'rollcall_users{directory="ostfold",state="active"} 2.0' in text
    assert re.search(r'rollcall_scim_requests_total\{[^}]*directory="ostfold"[^}]*'
                     r'method="POST"[^}]*\} \d', text)  # counters live as long as the process


def test_each_directory_serves_its_discovery(client, scim, other_scim):
    document = client.get("/scim/v2/ostfold/openapi.json").get_json()
    assert document["servers"][0]["url"] == "/scim/v2/ostfold"
    assert client.get("/scim/v2/openapi.json").get_json()["servers"][0]["url"] == "/scim/v2"
    types = other_scim.get("ResourceTypes").get_json()["Resources"]
    assert {t["endpoint"] for t in types} == {"/Users", "/Groups"}
    assert other_scim.get("ServiceProviderConfig").status_code == 200
    assert other_scim.get("Schemas").get_json()["totalResults"] == scim.get(
        "Schemas").get_json()["totalResults"]


def test_the_bare_tenant_url_is_a_root_search_for_its_own_token_only(client, token, other_token,
                                                                      other_scim):
    other_scim.post("Users", user_body("Ørjan"))
    own = client.get("/scim/v2/ostfold?aadOptscim062020",
                     headers={"Authorization": f"Bearer {other_token}"})
    assert own.status_code == 200 and own.get_json()["totalResults"] == 1
    for slug in ("ostfold", "nowhere"):  # the same answer whether it exists or not
        response = client.get(f"/scim/v2/{slug}", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 404 and response.get_json()["schemas"] == [ERROR]


def test_request_log_and_change_records_carry_the_directory(client, other, other_scim, token):
    from models import ChangeRecord
    from models import RequestLog
    from models import db
    from models.scoping import ALL_DIRECTORIES

    other_scim.post("Users", user_body("Ørjan"))
    client.get("/scim/v2/ostfold/Users", headers={"Authorization": f"Bearer {token}"})
    logged = db.session.query(RequestLog.directory_id, RequestLog.method, RequestLog.status
                              ).execution_options(**ALL_DIRECTORIES).order_by(RequestLog.id).all()
    assert [tuple(r) for r in logged] == [(other.id, "POST", 201), (other.id, "GET", 401)]
    changes = db.session.query(ChangeRecord.directory_id, ChangeRecord.action).execution_options(
        **ALL_DIRECTORIES).filter(ChangeRecord.resource_type == "User").all()
    assert [tuple(c) for c in changes] == [(other.id, "user.create")]
    # Scoped reads (the admin pages') see their own directory's only.
    assert db.session.query(RequestLog).count() == 0


def test_the_same_group_name_lives_in_two_directories(scim, other_scim):
    body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Ærø"}
    assert scim.post("Groups", body).status_code == 201
    assert other_scim.post("Groups", body).status_code == 201
    assert scim.post("Groups", body).status_code == 409
    for client in (scim, other_scim):
        found = client.get('Groups?filter=displayName eq "ærø"').get_json()
        assert found["totalResults"] == 1
