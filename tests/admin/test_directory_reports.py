"""The comparison and orphan reports, read after real provisioning traffic to two directories."""

import csv
import io
import re
import time
from datetime import timedelta

import pytest

from services import directories
from services import tokens
from services.actor import CLI
from services.clock import utcnow
from services.context import in_directory
from services.readmodels import compare
from tests.admin.helpers import page
from tests.conftest import user_body
from tests.directories.conftest import DirectoryClient

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ENTRA = {"User-Agent": "Azure AD SCIM Client"}
GAP_SECONDS = 1.0


@pytest.fixture
def app_config():
    # Cycles end after a pause of a second, so a test can run two in a row.
    return {"OPS_CYCLE_GAP_MINUTES": GAP_SECONDS / 60}


@pytest.fixture
def staging(app):
    made = directories.create("staging", "Prøve-miljø", True, CLI)
    with in_directory(made.id):
        _, secret = tokens.issue("staging-entra", 90, CLI)
    return made


@pytest.fixture
def staging_scim(client, staging):
    secret = None
    with in_directory(staging.id):
        _, secret = tokens.issue("staging-entra-2", 90, CLI)
    return DirectoryClient(client, secret, "staging")


def provision(scim, name, **extra):
    """Entra's create flow: a lookup by userName, then the POST."""
    scim.get(f'Users?filter=userName eq "{name}"', headers=ENTRA)
    response = scim.post("Users", user_body(name, **extra), headers=ENTRA)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def group(scim, name, members):
    body = {"schemas": [GROUP], "displayName": name, "members": [{"value": m} for m in members]}
    return scim.post("Groups", body, headers=ENTRA).get_json()


def with_manager(scim, user, manager):
    scim.patch(f"Users/{user['id']}", {"schemas": [PATCH], "Operations": [
        {"op": "add", "path": f"{ENTERPRISE}:manager", "value": manager["id"]}]}, headers=ENTRA)


@pytest.fixture
def two_directories(scim, staging_scim):
    """Production (default) and staging, provisioned with the differences a new mapping makes."""
    prod_anna = provision(scim, "anna.ærø@example.com", title="Engineer")
    provision(scim, "bjørn.prod@example.com")
    prod_cagla = provision(scim, "ÇAĞLA@example.com")
    with_manager(scim, prod_cagla, prod_anna)
    group(scim, "Ingeniører", [prod_anna["id"], prod_cagla["id"]])
    group(scim, "Bare produksjon", [])
    stage_anna = provision(staging_scim, "Anna.Ærø@example.com", title="Senior Engineer",
                           emails=[{"value": "anna@ny.example.com", "type": "work"}])
    stage_cagla = provision(staging_scim, "çağla@example.com")
    with_manager(staging_scim, stage_cagla, stage_anna)  # the same manager, by userName
    provision(staging_scim, "dora.prøve@example.com")
    group(staging_scim, "INGENIØRER", [stage_anna["id"]])
    return {"prod_anna": prod_anna, "stage_anna": stage_anna}


def test_counts_come_first_then_the_differences(admin_client, two_directories):
    html = page(admin_client.get("/admin/directories/compare?a=staging&b=default"))
    counts = re.search(r"<table class=\"counts-table stack\">.*?</table>", html, re.S).group(0)
    users, groups = re.findall(r"<tr><th scope=\"row\">(?:Users|Groups)</th>(.*?)</tr>", counts,
                               re.S)
    numbers = lambda row: re.findall(r'>(\d+)(?:<span|</td>)', row)  # noqa: E731
    assert numbers(users) == ["1", "1", "2", "2"]  # only A, only B, in both, differ
    assert numbers(groups) == ["0", "1", "1", "1"]
    assert html.index("counts-h") < html.index("list-h")
    differ = html[html.index('id="list-h"'):]
    assert "Anna.Ærø@example.com" in differ and "Senior Engineer" in differ
    assert ">Engineer<" in differ
    assert 'emails[type eq &#34;work&#34;].value' in differ
    assert "anna@ny.example.com" in differ and "anna.ærø@example.com" in differ


def test_only_in_one_directory_lists_each_side(admin_client, two_directories):
    only_a = page(admin_client.get(
        "/admin/directories/compare?a=staging&b=default&show=users-only-a"))
    assert "dora.prøve@example.com" in only_a and "bjørn" not in only_a
    only_b = page(admin_client.get(
        "/admin/directories/compare?a=staging&b=default&show=users-only-b"))
    assert "bjørn.prod@example.com" in only_b and "dora" not in only_b
    groups = page(admin_client.get(
        "/admin/directories/compare?a=staging&b=default&show=groups-only-b"))
    assert "Bare produksjon" in groups
    differ = page(admin_client.get(
        "/admin/directories/compare?a=staging&b=default&show=groups-differ"))
    assert "members (count)" in differ and "INGENIØRER" in differ


def test_the_csv_has_every_finding_one_row_per_attribute(admin_client, two_directories):
    response = admin_client.get("/admin/directories/compare.csv?a=staging&b=default")
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(page(response).lstrip("\ufeff"))))
    assert rows[0] == ["kind", "finding", "name", "attribute", "value in A", "value in B"]
    assert ["users", "only in A", "dora.prøve@example.com", "", "", ""] in rows
    assert ["users", "only in B", "bjørn.prod@example.com", "", "", ""] in rows
    assert ["users", "differs", "Anna.Ærø@example.com", "title", "Senior Engineer",
            "Engineer"] in rows
    assert ["groups", "differs", "INGENIØRER", "members (count)", "1", "2"] in rows
    # Çağla's userName differs in case only: matched, and the case change is a finding.
    # Her manager is Anna in both directories (other ids, the same userName): no finding.
    cagla = [r[3] for r in rows if r[2] == "çağla@example.com"]
    assert sorted(cagla) == ['emails[type eq "work"].value', "userName"]


def test_the_differences_are_paged(app, two_directories, scim, staging_scim):
    for n in range(3):
        provision(scim, f"person{n}@example.com", title="Old")
        provision(staging_scim, f"PERSON{n}@example.com", title="New")
    with app.test_request_context():
        ids = {d.slug: d.id for d in directories.all()}
        first = compare.report(ids["staging"], ids["default"], "users-differ", 1, per_page=2)
        third = compare.report(ids["staging"], ids["default"], "users-differ", 3, per_page=2)
        beyond = compare.report(ids["staging"], ids["default"], "users-differ", 9, per_page=2)
    assert first.users.differ == 5 and first.page.total == 5
    assert [d.name for d in first.page.items] == ["Anna.Ærø@example.com", "PERSON0@example.com"]
    assert [d.name for d in third.page.items] == ["çağla@example.com"]
    assert beyond.page.items == third.page.items


def test_choosing_the_same_directory_twice_is_said(admin_client, staging):
    html = page(admin_client.get("/admin/directories/compare?a=staging&b=staging"))
    assert "Choose two different directories." in html and "counts-h" not in html
    form = page(admin_client.get("/admin/directories/compare"))
    assert '<option selected value="staging">' in form or 'value="staging" selected' in form


def _full_cycle(scim, users, by_id=()):
    """Another cycle of Entra reads: lookups by userName, and GETs by id for `by_id`."""
    time.sleep(GAP_SECONDS * 1.5)
    for user in users:
        if user["userName"] in by_id:
            scim.get(f"Users/{user['id']}", headers=ENTRA)
        else:
            scim.get(f'Users?filter=userName eq "{user["userName"]}"', headers=ENTRA)


@pytest.fixture
def orphaned(staging_scim, scim):
    """Four staging users from one cycle; a later full cycle reads three of them."""
    people = [provision(staging_scim, name) for name in
              ("åse@example.com", "BØRGE@example.com", "cæcilie@example.com",
               "dagfinn.glemt@example.com")]
    provision(scim, "default.user@example.com")  # another directory: never in the report
    _full_cycle(staging_scim, people[:3], by_id={"cæcilie@example.com"})
    return people


def test_the_last_full_cycle_shows_who_it_did_not_read(admin_client, orphaned):
    html = page(admin_client.get("/admin/orphans?directory=staging"))
    assert "Microsoft Entra · staging-entra-2" in re.search(
        r'id="full-cycle">(.*?)</dd>', html, re.S).group(1)
    assert re.search(r'id="unread-count">1<', html)
    unread = html[html.index('id="unread-h"'):html.index('id="untouched-h"')]
    assert "dagfinn.glemt@example.com" in unread
    for read in ("åse@example.com", "BØRGE@example.com", "cæcilie", "default.user"):
        assert read not in unread
    assert "counts as full when" in html or "counts as full" in html or "full cycle" in html


def test_without_a_full_cycle_the_page_says_so(admin_client, make_user):
    make_user("åsmund@example.com")  # a POST without a lookup: nothing was read
    html = page(admin_client.get("/admin/orphans"))
    assert 'id="no-full-cycle"' in html and "No full cycle seen yet" in html


def test_untouched_users_for_the_chosen_number_of_days(admin_client, orphaned, monkeypatch):
    html = page(admin_client.get("/admin/orphans?directory=staging&days=90"))
    assert re.search(r'id="untouched-count">0 users', html)
    later = utcnow() + timedelta(days=100)
    monkeypatch.setattr("blueprints.admin_orphans.utcnow", lambda: later)
    html = page(admin_client.get("/admin/orphans?days=90"))
    assert re.search(r'id="untouched-count">4 users', html)
    assert re.search(r'id="untouched-count">0 users',
                     page(admin_client.get("/admin/orphans?days=120")))
    assert "Enter a number of days" in page(admin_client.get("/admin/orphans?days=0"))


def test_an_admin_deactivates_chosen_orphans_each_with_a_change_record(
        admin_client, orphaned, scim):
    default_user = scim.get('Users?filter=userName eq "default.user@example.com"').get_json()
    other_id = default_user["Resources"][0]["id"]
    forgotten = orphaned[3]
    admin_client.get("/admin/orphans?directory=staging")
    response = admin_client.post("/admin/orphans/deactivate",
                                 data={"user": [forgotten["id"], other_id], "days": "90"})
    assert response.status_code == 303
    assert "1 user deactivated" in page(admin_client.get(response.location))
    assert scim.get(f"Users/{other_id}").get_json()["active"] is True  # another directory
    changes = page(admin_client.get("/admin/audit/changes?action=user.patch"))
    assert "dagfinn.glemt@example.com" in changes and "alice" in changes
    user_page = page(admin_client.get(f"/admin/directory/users/{forgotten['id']}"))
    assert "inactive" in user_page.lower()
    # Still listed as unread (nobody was deleted), now inactive and without a checkbox.
    html = page(admin_client.get("/admin/orphans"))
    unread = html[html.index('id="unread-h"'):html.index('id="untouched-h"')]
    assert "dagfinn.glemt@example.com" in unread and 'value="' + forgotten["id"] not in unread


def test_an_auditor_reads_the_reports_and_cannot_deactivate(auditor_client, orphaned):
    html = page(auditor_client.get("/admin/orphans?directory=staging"))
    assert "dagfinn.glemt@example.com" in html
    assert 'type="checkbox" name="user"' not in html and "deactivate-form" not in html
    response = auditor_client.post("/admin/orphans/deactivate",
                                   data={"user": [orphaned[3]["id"]]})
    assert response.status_code == 403
    assert 'id="unread-count">1<' in page(auditor_client.get("/admin/orphans"))
    with in_directory(directories.by_slug("staging").id):
        from services import users

        assert users.get(orphaned[3]["id"]).active is True
    compare_page = page(auditor_client.get("/admin/directories/compare?a=staging&b=default"))
    assert "counts-h" in compare_page
