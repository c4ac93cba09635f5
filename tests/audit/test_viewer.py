"""The viewer: every page readable by auditors, filters, keyset paging, detail, charts."""

import pytest
from flask import render_template_string

from models import ChangeRecord
from models import RequestLog
from services.audit import query as audit_query

PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def text(response):
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


@pytest.fixture
def traffic(scim, make_user, client):
    """Reads, writes and failures from two tokens."""
    alice = make_user("alice@example.com", title="Engineer")
    bob = make_user("bob@example.com")
    scim.patch(f"Users/{alice['id']}", {"schemas": [PATCH], "Operations": [
        {"op": "replace", "path": "title", "value": "Manager"}]})
    scim.get('Users?filter=userName eq "alice@example.com"')
    scim.get(f"Users/{bob['id']}")
    scim.get("Users/nobody")
    client.get("/scim/v2/Users", headers={"Authorization": "Bearer nope"})
    return {"alice": alice, "bob": bob}


def test_auditor_reads_every_page(traffic, auditor, rows):
    request, change = rows(RequestLog)[0], rows(ChangeRecord)[-1]
    for url in ("/admin/audit/", "/admin/audit/changes", "/admin/audit/charts",
                "/admin/audit/chain", f"/admin/audit/requests/{request.id}",
                f"/admin/audit/changes/{change.id}", "/admin/audit/?status=4&method=GET",
                "/admin/audit/changes?action=user.&resource_type=User"):
        text(auditor.get(url))
    assert auditor.get("/admin/audit/export.csv").status_code == 200
    assert auditor.get("/admin/audit/requests/999999").status_code == 404


def test_anonymous_people_are_sent_to_sign_in(app):
    response = app.test_client().get("/admin/audit/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_the_viewer_has_no_write_route(app):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("audit.")]
    assert len(rules) >= 7
    for rule in rules:
        assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule


def test_auditor_cannot_post(auditor):
    assert auditor.post("/admin/audit/").status_code == 405


def test_request_filters(traffic, auditor):
    page = text(auditor.get("/admin/audit/?status=4"))
    assert "/scim/v2/Users/nobody" in page and "Users?filter" not in page
    page = text(auditor.get("/admin/audit/?method=PATCH"))
    assert "PATCH /scim/v2/Users/" in page and "POST" not in page.split("<tbody>")[1]
    page = text(auditor.get("/admin/audit/?q=alice@example.com"))
    assert "PATCH" in page and "userName eq &#34;alice@example.com&#34;" in page
    assert traffic["bob"]["id"] not in page
    page = text(auditor.get("/admin/audit/?q=/Users/nob"))
    assert "/scim/v2/Users/nobody" in page and "PATCH" not in page.split("<tbody>")[1]
    page = text(auditor.get("/admin/audit/?token=test-token&status=4"))
    assert "/scim/v2/Users/nobody" in page and "401" not in page.split("<tbody>")[1]


def test_request_filter_on_time_range(traffic, rows):
    requests = rows(RequestLog)
    middle = requests[len(requests) // 2].at
    f = audit_query.RequestFilter(since=middle)
    assert {r.id for r in audit_query.requests(f).items} == \
        {r.id for r in requests if r.at >= middle}
    f = audit_query.RequestFilter(until=middle)
    assert {r.id for r in audit_query.requests(f).items} == \
        {r.id for r in requests if r.at < middle}


def test_bad_times_are_reported_not_fatal(auditor):
    page = text(auditor.get("/admin/audit/?since=yesterday"))
    assert "is not a date and time" in page


def test_change_filters(traffic, runner, auditor):
    runner.invoke(args=["tokens", "create", "--name", "second"])
    page = text(auditor.get("/admin/audit/changes?q=alice@example.com")).split("<tbody>")[1]
    assert page.count("user.create") == 1 and "user.patch" in page and "bob@" not in page
    page = text(auditor.get("/admin/audit/changes?action=token.")).split("<tbody>")[1]
    assert "token.issue" in page and "user.create" not in page
    page = text(auditor.get("/admin/audit/changes?actor=command+line")).split("<tbody>")[1]
    assert "second" in page and "user.create" not in page


@pytest.mark.parametrize("limit", [1, 3, 7, 50])
def test_keyset_paging_returns_every_row_once(traffic, rows, limit):
    expected = [r.id for r in reversed(rows(RequestLog))]
    seen, cursor = [], None
    while True:
        page = audit_query.requests(audit_query.RequestFilter(), before=cursor, limit=limit)
        seen += [r.id for r in page.items]
        if page.older is None:
            break
        cursor = page.older
    assert seen == expected
    back, cursor = [], seen[-1] - 1
    while cursor is not None:
        page = audit_query.requests(audit_query.RequestFilter(), after=cursor, limit=limit)
        back = [r.id for r in page.items] + back
        cursor = page.newer
    assert back == expected


def test_paging_links_carry_the_filters(traffic, auditor, monkeypatch):
    monkeypatch.setattr(audit_query, "PER_PAGE", 2)
    page = text(auditor.get("/admin/audit/?method=GET"))
    assert "before=" in page and "method=GET" in page.split('rel="next"')[0].rsplit("href", 1)[1]


def test_change_detail_shows_the_diff_and_links_to_the_user(traffic, auditor, rows, app):
    patch = [c for c in rows(ChangeRecord) if c.action == "user.patch"][0]
    page = text(auditor.get(f"/admin/audit/changes/{patch.id}"))
    assert "Engineer" in page and "Manager" in page and "<code class=\"wrap\">title</code>" in page
    if "admin.user_page" in app.view_functions:
        assert f"/admin/directory/users/{traffic['alice']['id']}" in page
    request_row = [r for r in rows(RequestLog) if r.method == "PATCH"][0]
    assert f"/admin/audit/requests/{request_row.id}" in page


def test_request_detail_shows_error_and_changes(traffic, auditor, rows):
    failed = [r for r in rows(RequestLog) if r.status == 404][0]
    page = text(auditor.get(f"/admin/audit/requests/{failed.id}"))
    assert failed.request_id in page and "not found" in page
    assert "A read changes nothing" in page
    patch = [r for r in rows(RequestLog) if r.method == "PATCH"][0]
    assert "Manager" in text(auditor.get(f"/admin/audit/requests/{patch.id}"))


def test_timeline_lists_changes_and_failed_requests(traffic, scim, app):
    alice = traffic["alice"]
    scim.put(f"Users/{alice['id']}", {"userName": ""})
    events = audit_query.timeline("User", alice["id"])
    assert [e.title for e in events if e.kind == "change"] == ["user.patch", "user.create"]
    assert [e.status for e in events if e.kind == "request"] == [400]
    with app.test_request_context():
        html = render_template_string(
            '{% with resource_type="User", resource_id=uid %}'
            '{% include "audit/_timeline.html" %}{% endwith %}', uid=alice["id"])
    assert "user.patch" in html and "History" in html


def test_charts_count_requests_per_hour_by_status(traffic, auditor, rows):
    audit_query.forget_charts()
    day = audit_query.hourly(24)
    assert len(day) == 24
    assert day[-1].counts[2] == sum(1 for r in rows(RequestLog) if r.status < 300)
    assert day[-1].counts[4] == sum(1 for r in rows(RequestLog) if r.status >= 400)
    assert len(audit_query.hourly(168)) == 168
    page = text(auditor.get("/admin/audit/charts"))
    assert page.count("<svg") == 2 and 'class="s2"' in page and 'class="s4"' in page
    assert "<script" not in page.split("</head>")[1]


def test_chain_state_is_shown(traffic, runner, auditor):
    assert "nothing sealed yet" in text(auditor.get("/admin/audit/"))
    runner.invoke(args=["audit", "verify"])
    page = text(auditor.get("/admin/audit/chain"))
    assert "sealed up to" in page.lower() and "intact" in page


def test_last_request_and_last_change(traffic, runner, rows):
    runner.invoke(args=["tokens", "create", "--name", "later"])
    assert audit_query.last_request().id == rows(RequestLog)[-1].id
    assert audit_query.last_change().action == "user.patch"
    assert audit_query.last_change(scim_only=False).action == "token.issue"


def test_a_request_just_made_shows_up(app, scim, auditor, monkeypatch):
    """With the log written in the background, the viewer flushes it before reading."""
    from services.audit import requestlog

    writer = requestlog.writer_for(app)
    monkeypatch.setattr(writer, "asynchronous", True)
    monkeypatch.setattr(writer, "seal_interval", None)
    scim.get("Users/just-now")
    assert "/scim/v2/Users/just-now" in text(auditor.get("/admin/audit/"))
