"""The read-only directory: search, filters, paging, pages, breakdown and CSV export.

Pages run a fixed number of queries, whatever their size.
"""

import csv
import io

import pytest

from services import custom_fields
from services import rules
from services.actor import CLI
from tests.admin.helpers import page
from tests.sql import statements

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CUSTOM = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def person(make_user, name, department=None, division=None, organization=None, **extra):
    enterprise = {k: v for k, v in {"department": department, "division": division,
                                    "organization": organization}.items() if v}
    if enterprise:
        extra[ENTERPRISE] = enterprise
    return make_user(name, displayName=name.split("@")[0].title(), **extra)


@pytest.fixture
def people(make_user):
    return {
        "ann": person(make_user, "ann@example.com", "Sales", "EMEA", "Contoso"),
        "bob": person(make_user, "bob@example.com", "sales", "EMEA", "Contoso", active=False),
        "cid": person(make_user, "cid@example.com", "Finance", "AMER", "Contoso"),
        "dee": person(make_user, "dee@example.com"),
    }


def names(html):
    return [n for n in ("ann", "bob", "cid", "dee") if f">{n}@example.com</a>" in html]


def test_the_directory_says_it_is_read_only(admin_client, people):
    html = page(admin_client.get("/admin/directory"))
    assert "Microsoft Entra ID is the source of truth" in html
    assert names(html) == ["ann", "bob", "cid", "dee"]
    assert "Users 1–4 of 4" in html


@pytest.mark.parametrize("query, expected", [
    ("q=ann", ["ann"]),
    ("q=EXAMPLE.COM", ["ann", "bob", "cid", "dee"]),
    ("q=Cid", ["cid"]),
    ("q=%25", []),  # a literal %, not a wildcard
    ("q=_", []),
    ("state=active", ["ann", "cid", "dee"]),
    ("state=inactive", ["bob"]),
    ("state=waiting", []),
    ("department=SALES", ["ann", "bob"]),
    ("division=amer", ["cid"]),
    ("organization=Contoso&department=Finance", ["cid"]),
    ("department=Sales&state=active", ["ann"]),
])
def test_search_and_filters(admin_client, people, query, expected):
    html = page(admin_client.get(f"/admin/directory?{query}"))
    assert names(html) == expected


def test_search_finds_the_email(admin_client, make_user):
    make_user("u1", emails=[{"value": "someone.else@contoso.com", "type": "work"}])
    html = page(admin_client.get("/admin/directory?q=someone.else"))
    assert ">u1</a>" in html and "someone.else@contoso.com" in html


def test_a_bad_filter_value_is_reported(admin_client, people):
    response = admin_client.get("/admin/directory?state=bogus")
    assert response.status_code == 200
    assert "Not a valid choice." in page(response)
    assert names(page(response)) == []


def test_paging_keeps_the_filters_and_a_fixed_number_of_queries(admin_client, make_user):
    for i in range(7):
        person(make_user, f"p{i:02}@example.com", "Ops")
    admin_client.get("/admin/directory?department=ops")  # the view is recorded once a minute
    with statements() as few:
        admin_client.get("/admin/directory?department=ops")
    for i in range(7, 60):
        person(make_user, f"p{i:02}@example.com", "Ops")
    with statements() as many:
        first = page(admin_client.get("/admin/directory?department=ops"))
    assert len(many) == len(few)
    assert "Users 1–50 of 60" in first
    assert 'href="/admin/directory?page=2&amp;department=ops"' in first or \
        'href="/admin/directory?department=ops&amp;page=2"' in first
    second = page(admin_client.get("/admin/directory?department=ops&page=2"))
    assert "Users 51–60 of 60" in second
    assert ">p59@example.com</a>" in second and ">p00@example.com</a>" not in second
    assert "Users 51–60 of 60" in page(admin_client.get("/admin/directory?department=ops&page=9"))


def test_a_users_page_shows_every_attribute(admin_client, make_user, scim):
    custom_fields.define("costCode", "string", False, "", CLI)
    custom_fields.define("badge", "integer", False, "", CLI)
    boss = person(make_user, "boss@example.com", "Sales")
    user = make_user("ann@example.com", displayName="Ann Example", title="Engineer",
                     name={"givenName": "Ann", "familyName": "Example"},
                     phoneNumbers=[{"value": "+1 555 0100", "type": "mobile"}],
                     externalId="ext-ann",
                     **{ENTERPRISE: {"department": "Sales", "employeeNumber": "E-7",
                                     "manager": {"value": boss["id"]}},
                        CUSTOM: {"costCode": "CC-42"}})
    group = scim.post("Groups", {"schemas": [GROUP], "displayName": "Engineers",
                                 "members": [{"value": user["id"]}]}).get_json()
    html = page(admin_client.get(f"/admin/directory/users/{user['id']}"))
    for text in ("Ann Example", "ann@example.com", "Engineer", "name.givenName", "Ann",
                 'phoneNumbers[type eq &#34;mobile&#34;]', "+1 555 0100", "ext-ann",
                 "E-7", "employeeNumber", "CC-42", "costCode", "badge", "not set",
                 f'href="/admin/directory/users/{boss["id"]}">Boss</a>',
                 f'href="/admin/directory/groups/{group["id"]}">Engineers</a>'):
        assert text in html, text
    boss_page = page(admin_client.get(f"/admin/directory/users/{boss['id']}"))
    assert f'href="/admin/directory/users/{user["id"]}">Ann Example</a>' in boss_page


def test_many_reports_link_to_the_filtered_list(admin_client, make_user):
    boss = make_user("boss")
    for i in range(22):
        make_user(f"r{i:02}", **{ENTERPRISE: {"manager": {"value": boss["id"]}}})
    html = page(admin_client.get(f"/admin/directory/users/{boss['id']}"))
    assert "All 22 reports" in html
    listed = page(admin_client.get(f"/admin/directory?manager={boss['id']}"))
    assert "Users 1–22 of 22" in listed


def test_unknown_user_and_group_are_404(admin_client):
    assert admin_client.get("/admin/directory/users/nope").status_code == 404
    assert admin_client.get("/admin/directory/groups/nope").status_code == 404


def test_groups_and_a_groups_members_are_paged(admin_client, make_user, scim):
    ids = [make_user(f"m{i:02}")["id"] for i in range(55)]
    team = scim.post("Groups", {"schemas": [GROUP], "displayName": "Everyone",
                                "members": [{"value": i} for i in ids]}).get_json()
    scim.post("Groups", {"schemas": [GROUP], "displayName": "Outer",
                         "members": [{"value": team["id"]}]})
    listing = page(admin_client.get("/admin/directory/groups"))
    assert ">Everyone</a>" in listing and ">Outer</a>" in listing
    assert "<td data-label=\"Direct members\">55</td>" in listing
    assert ">Outer</a>" not in page(admin_client.get("/admin/directory/groups?q=every"))
    admin_client.get(f"/admin/directory/groups/{team['id']}")  # its view is now recorded
    with statements() as queries:
        first = page(admin_client.get(f"/admin/directory/groups/{team['id']}"))
    # sign-in, the directories (switcher), group, member page, count, timeline, BEGINs
    assert len(queries) <= 8
    assert "Members 1–50 of 55" in first and ">m00</a>" in first and ">m54</a>" not in first
    second = page(admin_client.get(f"/admin/directory/groups/{team['id']}?page=2"))
    assert "Members 51–55 of 55" in second and ">m54</a>" in second


def test_breakdown_counts(admin_client, people):
    html = page(admin_client.get("/admin/directory/breakdown"))
    assert "Microsoft Entra ID is the source of truth" in html
    sales = html.index('department=Sales">Sales</a>') if 'department=Sales">Sales</a>' in html \
        else html.index('department=sales">sales</a>')
    assert "<td>2</td><td>1</td>" in html[sales:sales + 200]  # Sales and sales together
    assert "(not set)" in html
    assert 'organization=Contoso">Contoso</a></th>\n          <td>3</td><td>2</td>' in html


def test_csv_export_of_the_filtered_users(admin_client, people, make_user):
    custom_fields.define("costCode", "string", False, "", CLI)
    make_user("eve@example.com", displayName="=HYPERLINK(\"http://x\")",
              **{ENTERPRISE: {"department": "Sales"}, CUSTOM: {"costCode": "C1"}})
    response = admin_client.get("/admin/directory/users.csv?department=sales")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.is_streamed
    rows = list(csv.DictReader(io.StringIO(page(response))))
    assert [r["userName"] for r in rows] == ["ann@example.com", "bob@example.com",
                                             "eve@example.com"]
    assert rows[1]["state"] == "inactive"
    assert rows[0]["email"] == "ann@example.com"
    assert rows[2]["costCode"] == "C1"
    assert rows[2]["displayName"].startswith("'=")  # no formula runs in a spreadsheet


def test_seat_waiting_and_hidden_users_are_listed(admin_client, make_user, scim):
    rules.save({"seat_limit": 1, "delete_mode": "deactivate"}, CLI)
    make_user("first")
    waiting = make_user("second")
    gone = make_user("third")
    scim.delete(f"Users/{gone['id']}")
    html = page(admin_client.get("/admin/directory?state=waiting"))
    assert ">second</a>" in html and "waiting for a seat" in html
    hidden = page(admin_client.get("/admin/directory?state=hidden"))
    assert ">third</a>" in hidden and ">second</a>" not in hidden
    assert "Entra deleted this user" in page(admin_client.get(
        f"/admin/directory/users/{gone['id']}"))
    assert waiting["active"] is False
