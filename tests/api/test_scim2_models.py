"""Every response shape checked against scim2-models, python-scim's models of RFC 7643/7644/9865.

scim2-models forbids unknown keys and checks types, mutability and returned-ness for
the context a document is sent in, so a validation here is a second, independent
reading of the RFCs. It runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""

import pytest
from scim2_models import Context
from scim2_models import EnterpriseUser
from scim2_models import Error
from scim2_models import Group
from scim2_models import ListResponse
from scim2_models import ResourceType
from scim2_models import Schema
from scim2_models import ServiceProviderConfig
from scim2_models import User

from tests.conftest import user_body

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
AnyUser = User[EnterpriseUser]


def valid(model, response, context=Context.RESOURCE_QUERY_RESPONSE, status=200):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/scim+json"
    return model.model_validate(response.get_json(), scim_ctx=context)


@pytest.fixture
def people(scim):
    """A manager and a report with most attributes set, and a group holding both."""
    boss = scim.post("Users", user_body(
        "øyvind@example.com", displayName="Øyvind Ås", name={"givenName": "Øyvind",
                                                           "familyName": "Ås"},
        title="Directør", phoneNumbers=[{"value": "+47 123", "type": "work"}])).get_json()
    report = scim.post("Users", user_body(
        "éva@example.com", displayName="Éva İnce", externalId="ext-É", **{
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
            ENTERPRISE: {"department": "Straße", "employeeNumber": "７",
                         "manager": {"value": boss["id"]}}})).get_json()
    group = scim.post("Groups", {"schemas": [GROUP_URN], "displayName": "Ｔｅａｍ",
                                 "members": [{"value": boss["id"], "display": "Øyvind"},
                                             {"value": report["id"]}]}).get_json()
    return boss, report, group


def test_users_as_created_read_and_listed(scim, people):
    boss, report, _ = people
    user = valid(AnyUser, scim.get(f"Users/{report['id']}"))
    assert user[EnterpriseUser].manager.value == boss["id"]
    created = scim.post("Users", user_body("ßeta@example.com"))
    valid(AnyUser, created, Context.RESOURCE_CREATION_RESPONSE, 201)
    listed = valid(ListResponse[AnyUser], scim.get("Users?count=10"))
    assert listed.total_results == 3
    valid(ListResponse[AnyUser], scim.post("Users/.search", {"filter": 'userName sw "ø"'}),
          Context.SEARCH_RESPONSE)


def test_groups_as_created_read_and_listed(scim, people):
    _, _, group = people
    shown = valid(Group, scim.get(f"Groups/{group['id']}"))
    assert [m.display for m in shown.members] == ["Øyvind", None]
    valid(ListResponse[Group], scim.get("Groups"))
    created = scim.post("Groups", {"schemas": [GROUP_URN], "displayName": "Ωmega"})
    valid(Group, created, Context.RESOURCE_CREATION_RESPONSE, 201)


def test_replace_and_patch_responses(scim, people):
    boss, _, group = people
    put = scim.put(f"Users/{boss['id']}", user_body(boss["userName"], displayName="Ø. Ås"))
    valid(AnyUser, put, Context.RESOURCE_REPLACEMENT_RESPONSE)
    ops = {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "title", "value": "Ç"}]}
    valid(AnyUser, scim.patch(f"Users/{boss['id']}", ops), Context.RESOURCE_PATCH_RESPONSE)
    ops = {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"displayName": "Ｘ"}}]}
    patched = scim.patch(f"Groups/{group['id']}?excludedAttributes=meta.version", ops)
    valid(Group, patched, Context.RESOURCE_PATCH_RESPONSE)


def test_cursor_and_root_list_responses(scim, people):
    first = valid(ListResponse[AnyUser], scim.get("Users?cursor=&count=1"))
    assert first.next_cursor and first.start_index is None
    second = valid(ListResponse[AnyUser], scim.get(f"Users?cursor={first.next_cursor}&count=1"))
    assert second.previous_cursor
    everything = valid(ListResponse[AnyUser | Group], scim.get("/scim/v2/?count=10"))
    assert sorted(isinstance(r, Group) for r in everything.resources) == [False, False, True]
    valid(ListResponse[AnyUser | Group], scim.post(".search", {"cursor": "", "count": 2}),
          Context.SEARCH_RESPONSE)


def test_the_models_refuse_what_the_rfcs_do_not_define(scim, people):
    # The checks above have teeth: an unknown key or a wrong type fails validation.
    body = scim.get(f"Groups/{people[2]['id']}").get_json()
    with pytest.raises(ValueError):
        Group.model_validate({**body, "memberz": []}, scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    with pytest.raises(ValueError):
        Group.model_validate({**body, "members": [{"value": 3}]},
                             scim_ctx=Context.RESOURCE_QUERY_RESPONSE)


def test_discovery_documents(scim):
    config = valid(ServiceProviderConfig, scim.get("ServiceProviderConfig"))
    assert config.pagination.cursor and config.pagination.cursor_timeout == 600
    valid(ListResponse[Schema], scim.get("Schemas"))
    valid(ListResponse[ResourceType], scim.get("ResourceTypes"))
    valid(Schema, scim.get(f"Schemas/{ENTERPRISE}"))
    valid(ResourceType, scim.get("ResourceTypes/User"))


@pytest.mark.parametrize("request_, status", [
    (("get", "Users/nobody"), 404),
    (("get", 'Users?filter=userName eq'), 400),
    (("get", "Users?cursor=forged.cursor"), 400),
    (("get", "Users?attributes=emails[type"), 400),
    (("post", "Users"), 400),
    (("get", "Me"), 501),
])
def test_errors(scim, people, request_, status):
    method, path = request_
    response = getattr(scim, method)(path)
    error = valid(Error, response, Context.DEFAULT, status)
    assert error.status == status
