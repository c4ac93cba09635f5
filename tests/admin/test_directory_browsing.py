"""Browsing the directory: page numbers, a jump, sorting, filters offering real values, labels."""

import re

import pytest

from tests.admin.helpers import page

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def listed(html):
    return re.findall(r'<a href="/admin/directory/users/[^"]+">([^<]+)</a>', html)


@pytest.fixture
def people(make_user):
    rows = [("émile@example.com", "Zoë Émile", "Engineering"),
            ("anna@example.com", "Ånna Berg", "Sales"),
            ("İpek@example.com", "Ipek Kaya", "Engineering Ops"),
            ("bob@example.com", "Bob Ørsted", None)]
    for name, display, department in rows:
        extra = {ENTERPRISE: {"department": department}} if department else {}
        make_user(name, displayName=display, **extra)


def test_sorting_by_a_column_and_reversing_it(admin_client, people):
    html = page(admin_client.get("/admin/directory"))
    assert listed(html)[:2] == ["anna@example.com", "bob@example.com"]
    assert 'aria-sort="ascending"' in html
    assert 'href="/admin/directory?sort=-userName"' in html
    by_display = listed(page(admin_client.get("/admin/directory?sort=displayName")))
    assert by_display[:2] == ["bob@example.com", "İpek@example.com"]  # Å: by collation
    reverse = listed(page(admin_client.get("/admin/directory?sort=-displayName")))
    assert reverse == by_display[::-1]
    # A bad sort key falls back to userName instead of failing.
    assert admin_client.get("/admin/directory?sort=password").status_code == 200


def test_sorting_keeps_the_filters(admin_client, people):
    html = page(admin_client.get("/admin/directory?department=engin&sort=displayName"))
    assert listed(html) == ["İpek@example.com", "émile@example.com"]
    assert 'name="sort" value="displayName"' in html


def test_department_filter_matches_part_and_offers_the_values_that_exist(admin_client, people):
    html = page(admin_client.get("/admin/directory?department=Engin"))
    assert sorted(listed(html)) == ["émile@example.com", "İpek@example.com"]
    datalist = html[html.index('<datalist id="department-values">'):]
    datalist = datalist[:datalist.index("</datalist>")]
    assert re.findall(r'<option value="([^"]+)">', datalist) == [
        "Engineering", "Engineering Ops", "Sales"]
    assert 'list="department-values"' in html


def test_page_numbers_and_a_jump(admin_client, make_user):
    for n in range(120):
        make_user(f"u{n:03}.ølsen@example.com")
    html = page(admin_client.get("/admin/directory?page=2&state=active"))
    assert '<span class="current" aria-current="page">2</span>' in html
    assert 'href="/admin/directory?page=3&amp;state=active"' in html
    assert 'href="/admin/directory?page=1&amp;state=active"' in html
    assert '<input type="hidden" name="state" value="active">' in html
    assert 'name="page" min="1" max="3"' in html
    third = page(admin_client.get("/admin/directory?page=3&state=active"))
    assert "Users 101–120 of 120" in third


def test_attributes_have_human_labels_with_the_scim_path(admin_client, make_user):
    user = make_user("ann@example.com", title="Ingeniørin",
                     phoneNumbers=[{"value": "+47 555 0100", "type": "mobile"}],
                     **{ENTERPRISE: {"costCenter": "ß-1"}})
    html = page(admin_client.get(f"/admin/directory/users/{user['id']}"))
    assert 'Job title<span class="secondary-text"><code>title</code></span>' in html
    assert ('Mobile phone<span class="secondary-text"><code>phoneNumbers[type eq &#34;mobile&#34;]'
            in html)
    assert 'Work email<span class="secondary-text">' in html
    assert 'Cost centre<span class="secondary-text"><code>costCenter</code>' in html
    assert 'data-copy="user-id"' in html
