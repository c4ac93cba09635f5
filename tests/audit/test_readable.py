"""The audit log in people's terms: names for ids, members as links, search by part of a name."""

import re

from models import ChangeRecord
from models import RequestLog

PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
LONG = "Łukasz.Żółćwiński-Ørnulf.Østergaard-ßtraße@ｅｘａｍｐｌｅ.com"


def text(response):
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _group_with(scim, make_user):
    users = [make_user(name) for name in (LONG, "david.schmidt@example.com", "İpek@example.com")]
    group = scim.post("Groups", {"schemas": [GROUP], "displayName": "Ærø Team",
                                 "members": [{"value": u["id"]} for u in users[:2]]}).get_json()
    scim.patch(f"Groups/{group['id']}", {"schemas": [PATCH], "Operations": [
        {"op": "add", "path": "members", "value": [{"value": users[2]["id"]}]},
        {"op": "remove", "path": f'members[value eq "{users[1]["id"]}"]'}]})
    return group, users


def test_members_added_and_removed_show_as_names_linking_to_the_user(scim, make_user, auditor,
                                                                      rows):
    group, users = _group_with(scim, make_user)
    patch = [c for c in rows(ChangeRecord) if c.action == "group.patch"][-1]
    html = text(auditor.get(f"/admin/audit/changes/{patch.id}"))
    ipek = users[2]["id"]
    assert f'<a href="/admin/directory/users/{ipek}" title="{ipek}">İpek@example.com</a>' in html
    assert f'href="/admin/directory/users/{users[1]["id"]}"' in html
    assert "david.schmidt@example.com" in html
    # No bare id is left in the diff.
    diff = html[html.index('class="diff"'):]
    assert not re.search(rf'>\s*{users[2]["id"]}\s*<', diff)


def test_a_deleted_member_keeps_the_name_its_change_records_gave_it(scim, make_user, auditor,
                                                                     rows):
    group, users = _group_with(scim, make_user)
    assert scim.delete(f"Users/{users[2]['id']}").status_code == 204
    patch = [c for c in rows(ChangeRecord) if c.action == "group.patch"][-1]
    html = text(auditor.get(f"/admin/audit/changes/{patch.id}"))
    assert "İpek@example.com" in html


def test_request_rows_name_the_user_or_group_they_were_about(scim, make_user, auditor):
    group, users = _group_with(scim, make_user)
    scim.get(f"Users/{users[0]['id']}")
    html = text(auditor.get("/admin/audit/"))
    assert f'<a href="/admin/directory/users/{users[0]["id"]}">{LONG}</a>' in html
    assert f'<a href="/admin/directory/groups/{group["id"]}">Ærø Team</a>' in html


def test_the_request_page_names_the_resource_and_the_members(scim, make_user, auditor, rows):
    group, users = _group_with(scim, make_user)
    row = [r for r in rows(RequestLog) if r.method == "PATCH"][-1]
    html = text(auditor.get(f"/admin/audit/requests/{row.id}"))
    assert "Ærø Team" in html and "İpek@example.com" in html
    assert 'data-copy="request-id"' in html and 'data-copy="resource-id"' in html


def test_search_finds_part_of_a_name(scim, make_user, auditor):
    _group_with(scim, make_user)
    scim.get('Users?filter=userName eq "david.schmidt@example.com"')
    changes = text(auditor.get("/admin/audit/changes?q=David.Schm"))
    assert "david.schmidt@example.com" in changes and "İpek" not in changes
    requests = text(auditor.get("/admin/audit/?q=david.schmidt"))
    assert "david.schmidt@example.com" in requests
    assert "No request matches" not in requests
    unicode = text(auditor.get("/admin/audit/changes?q=Łukasz.Żółć"))
    assert LONG in unicode


def test_search_by_request_id_and_path(scim, make_user, auditor, rows):
    make_user("bjensen@example.com")
    row = rows(RequestLog)[-1]
    assert "bjensen@example.com" in text(auditor.get(f"/admin/audit/?q={row.request_id}"))
    assert "POST /scim/v2/Users" in text(auditor.get("/admin/audit/?q=/scim/v2/Users"))
    assert "No request matches" in text(auditor.get("/admin/audit/?q=/scim/v2/Nothing"))


def test_durations_have_thousands_separators(app):
    from blueprints.audit import thousands

    assert thousands(8565) == "8,565" and thousands(12) == "12" and thousands("x") == "x"
