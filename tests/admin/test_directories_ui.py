"""The admin UI within one directory: the switcher, the staging banner, the Directories page.

Everything goes through HTTP as a browser would: the switcher is `?directory=<slug>`, kept
in the session; the Directories page's forms call services/directories.py, as the CLI does.
"""

import re

import pytest

from services import directories
from services import tokens
from services.actor import CLI
from services.context import in_directory
from tests.admin.helpers import page
from tests.conftest import user_body
from tests.directories.conftest import DirectoryClient

PAGES = ["/admin/", "/admin/directory", "/admin/directory/groups", "/admin/tokens",
         "/admin/fields", "/admin/settings", "/admin/setup", "/admin/mappings",
         "/admin/events", "/admin/audit/", "/admin/audit/changes", "/admin/health/",
         "/admin/directories", "/admin/directories/compare", "/admin/orphans"]


@pytest.fixture
def staging(app):
    """A staging directory, "Prøve-miljø", at /scim/v2/staging, with its own token."""
    made = directories.create("staging", "Prøve-miljø", True, CLI)
    with in_directory(made.id):
        _, secret = tokens.issue("staging-entra", 90, CLI)
    return made, secret


@pytest.fixture
def staging_scim(client, staging):
    return DirectoryClient(client, staging[1], "staging")


def test_the_switcher_lists_every_directory_and_marks_the_current_one(admin_client, staging):
    html = page(admin_client.get("/admin/"))
    switcher = re.search(r'<form method="get" action="/admin/" class="directory-switch">.*?</form>',
                         html, re.S).group(0)
    assert '<option value="default" selected>Default</option>' in switcher
    assert '<option value="staging">Prøve-miljø (staging)</option>' in switcher
    assert 'id="staging-banner"' not in html


@pytest.mark.parametrize("url", PAGES)
def test_a_chosen_staging_directory_says_so_on_every_page(admin_client, staging, url):
    admin_client.get("/admin/?directory=staging")  # kept in the session from here on
    response = admin_client.get(url)
    assert response.status_code == 200, url
    html = page(response)
    assert 'id="staging-banner"' in html and "Prøve-miljø" in html
    assert '<option value="staging" selected>' in html


def test_pages_show_the_current_directorys_data_only(admin_client, scim, staging_scim):
    scim.post("Users", user_body("åsa.produksjon@example.com"))
    staging_scim.post("Users", user_body("ørjan.prøve@example.com"))
    default = page(admin_client.get("/admin/directory"))
    assert "åsa.produksjon@example.com" in default and "ørjan.prøve" not in default
    shown = page(admin_client.get("/admin/directory?directory=staging"))
    assert "ørjan.prøve@example.com" in shown and "åsa.produksjon" not in shown
    # The choice stays in the session, and the tokens page lists this directory's token.
    listed = page(admin_client.get("/admin/tokens"))
    assert "staging-entra" in listed and "test-token" not in listed


def test_a_token_generated_in_a_directory_serves_its_tenant_url(admin_client, client, staging):
    admin_client.get("/admin/?directory=staging")
    html = page(admin_client.post("/admin/tokens", data={"name": "prøve-2", "days": "30"}))
    secret = re.search(r'<code id="secret"[^>]*>([^<]+)<', html).group(1).strip()
    assert "/scim/v2/staging" in html  # the Tenant URL shown beside the new secret
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/scim/v2/staging/Users", headers=headers).status_code == 200
    assert client.get("/scim/v2/Users", headers=headers).status_code == 401


def test_an_unknown_directory_in_a_link_is_said_and_changes_nothing(admin_client, staging):
    admin_client.get("/admin/?directory=staging")
    html = page(admin_client.get("/admin/tokens?directory=n%C3%B8where"))
    assert "There is no directory" in html and "nøwhere" in html
    assert '<option value="staging" selected>' in html


def test_the_setup_guide_and_dashboard_show_the_current_tenant_url(admin_client, staging):
    assert "http://localhost/scim/v2</code>" in page(admin_client.get("/admin/setup"))
    setup = page(admin_client.get("/admin/setup?directory=staging"))
    assert "http://localhost/scim/v2/staging</code>" in setup
    assert "directory <strong>Prøve-miljø</strong> (a staging directory)" in setup
    assert "while <strong>Prøve-miljø</strong> is the current directory" in setup
    assert "http://localhost/scim/v2/staging</code>" in page(admin_client.get("/admin/"))


def test_the_directories_page_lists_each_with_its_tenant_url_and_counts(
        admin_client, scim, staging_scim):
    for name in ("å1@example.com", "å2@example.com"):
        staging_scim.post("Users", user_body(name))
    scim.get('Users?filter=userName eq "x"')
    html = page(admin_client.get("/admin/directories"))
    rows = dict(re.findall(r'<span class="secondary-text">([\w-]+)</span></th>(.*?)</tr>', html,
                           re.S))
    assert ">http://localhost/scim/v2</code>" in rows["default"]
    assert ">http://localhost/scim/v2/staging</code>" in rows["staging"]
    assert '<td data-label="Users" class="num">2</td>' in rows["staging"]
    assert '<td data-label="Valid tokens" class="num">1</td>' in rows["staging"]
    assert "badge-warning\">staging" in html
    assert "<time" in rows["staging"] and "<time" in rows["default"]  # their last requests


def test_an_admin_creates_renames_and_deletes_a_directory(admin_client):
    response = admin_client.post("/admin/directories", data={
        "slug": "okta-migration", "name": "Okta-migrasjon Ærø", "staging": "y"})
    assert response.status_code == 302
    made = directories.by_slug("okta-migration")
    assert made.name == "Okta-migrasjon Ærø" and made.staging
    assert "/scim/v2/okta-migration" in page(admin_client.get(response.location))
    response = admin_client.post("/admin/directories/okta-migration/rename",
                                 data={"name": "Okta (İzmir)"})
    assert response.status_code == 302
    assert directories.by_slug("okta-migration").name == "Okta (İzmir)"
    assert admin_client.get("/admin/directories/okta-migration/delete").status_code == 200
    response = admin_client.post("/admin/directories/okta-migration/delete", data={})
    assert response.status_code == 302
    assert [d.slug for d in directories.all()] == ["default"]
    changes = page(admin_client.get("/admin/audit/changes?all_directories=1"))
    for action in ("directory.create", "directory.rename", "directory.delete"):
        assert action in changes


def test_a_bad_or_taken_slug_is_said_on_the_form(admin_client, staging):
    html = page(admin_client.post("/admin/directories", data={"slug": "Not OK!"}))
    assert "Use lower-case letters, digits and hyphens" in html
    response = admin_client.post("/admin/directories", data={"slug": "staging"})
    assert response.status_code == 400 and "exists already" in page(response)
    response = admin_client.post("/admin/directories", data={"slug": "users"})
    assert response.status_code == 400 and "reserved" in page(response)
    assert len(directories.all()) == 2


def test_deleting_a_directory_with_users_needs_the_force_confirmation(admin_client, staging_scim):
    staging_scim.post("Users", user_body("ølve@example.com"))
    form = page(admin_client.get("/admin/directories/staging/delete"))
    assert "1 user</strong>" in form and 'name="force"' in form
    response = admin_client.post("/admin/directories/staging/delete", data={})
    assert response.status_code == 400 and "force" in page(response)
    assert directories.by_slug("staging")
    response = admin_client.post("/admin/directories/staging/delete", data={"force": "y"})
    assert response.status_code == 302
    assert [d.slug for d in directories.all()] == ["default"]


def test_the_default_directory_cannot_be_deleted(admin_client):
    assert "Delete<span" not in page(admin_client.get("/admin/directories"))
    response = admin_client.post("/admin/directories/default/delete", data={"force": "y"})
    assert response.status_code == 400 and "cannot be deleted" in page(response)
    assert admin_client.get("/admin/directories/nope/delete").status_code == 404


def test_an_auditor_sees_directories_but_never_changes_them(auditor_client, staging):
    html = page(auditor_client.get("/admin/directories"))
    assert "/scim/v2/staging" in html and 'method="post" action="/admin/directories"' not in html
    assert "/rename" not in html and "/delete" not in html
    for url, data in (("/admin/directories", {"slug": "x"}),
                      ("/admin/directories/staging/rename", {"name": "x"}),
                      ("/admin/directories/staging/delete", {"force": "y"})):
        assert auditor_client.post(url, data=data).status_code == 403
    assert auditor_client.get("/admin/directories/staging/delete").status_code == 403
    assert [(d.slug, d.name) for d in directories.all()] == [
        ("default", "Default"), ("staging", "Prøve-miljø")]


def test_the_dashboard_shows_every_directory_at_a_glance(admin_client, scim, staging_scim):
    staging_scim.post("Users", user_body("øystein@example.com", active=False))
    scim.post("Users", user_body("ådne@example.com"))
    html = page(admin_client.get("/admin/"))
    table = re.search(r'<section aria-labelledby="directories-h".*?</section>', html, re.S).group(0)
    assert ">Default</a>" in table and ">Prøve-miljø</a>" in table
    assert "1 <span class=\"muted\">(0 active)</span>" in table
    assert "1 <span class=\"muted\">(1 active)</span>" in table
    assert table.count("<time") >= 4  # last request and last change of each
    assert "No traffic yet" not in table


def test_the_audit_viewer_shows_the_current_directory_unless_all_are_asked(
        admin_client, scim, staging_scim):
    scim.post("Users", user_body("åse.default@example.com"))
    staging_scim.post("Users", user_body("ørn.staging@example.com"))
    default = page(admin_client.get("/admin/audit/?method=POST"))
    assert "/scim/v2/Users" in default and "/scim/v2/staging/Users" not in default
    both = page(admin_client.get("/admin/audit/?method=POST&all_directories=1"))
    assert "/scim/v2/Users" in both and "/scim/v2/staging/Users" in both
    assert '<td data-label="Directory">Prøve-miljø</td>' in both
    changes = page(admin_client.get("/admin/audit/changes?directory=staging"))
    assert "ørn.staging@example.com" in changes and "åse.default" not in changes


def test_the_audit_export_follows_the_directory_filter(admin_client, scim, staging_scim):
    scim.post("Users", user_body("åse.default@example.com"))
    staging_scim.post("Users", user_body("ørn.staging@example.com"))
    mine = page(admin_client.get("/admin/audit/export.csv?kind=changes"))
    assert "åse.default" in mine and "ørn.staging" not in mine
    every = page(admin_client.get("/admin/audit/export.csv?kind=changes&all_directories=1"))
    assert "åse.default" in every and "ørn.staging" in every
    header = every.lstrip("\ufeff").splitlines()[0].split(",")
    assert "directory_id" in header


def test_a_record_of_another_directory_opens_from_the_all_directories_list(
        admin_client, staging_scim):
    staging_scim.post("Users", user_body("ørn.staging@example.com"))
    html = page(admin_client.get("/admin/audit/changes?all_directories=1&action=user.create"))
    link = re.search(r'href="(/admin/audit/changes/\d+)"', html).group(1)
    assert "ørn.staging@example.com" in page(admin_client.get(link))


def test_the_chain_page_stays_one_chain(admin_client, scim, staging_scim):
    scim.post("Users", user_body("a@example.com"))
    staging_scim.post("Users", user_body("b@example.com"))
    for url in ("/admin/audit/chain", "/admin/audit/chain?directory=staging"):
        html = page(admin_client.get(url))
        requests = re.search(r'id="chain-requests".*?Not sealed yet</dt><dd>(\d+) record', html,
                             re.S).group(1)
        assert requests == "2", url  # both directories' requests, in one chain
