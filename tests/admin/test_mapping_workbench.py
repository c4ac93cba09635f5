"""The mapping workbench page over HTTP: evaluate, check, export, save, import, and roles."""

import io
import json
import re
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from mappings import mapfile
from mappings import presets
from models import ChangeRecord
from models import db
from services import mappings
from services.actor import CLI
from tests.admin.helpers import PASSWORD
from tests.admin.helpers import counts
from tests.admin.helpers import csrf_from
from tests.admin.helpers import make_account
from tests.admin.helpers import page

KANTEGA_EMAIL = presets.KANTEGA_EMAIL


def query(rows, **extra):
    """A workbench query string, as the form sends it."""
    pairs = []
    for source, target, matching in rows:
        pairs += [("source", source), ("target", target), ("matching", matching)]
    pairs += list(extra.items())
    return "/admin/mappings?" + urlencode(pairs)


def verdict_of(html, target):
    """(value cell, verdict) of the results row for a target."""
    row = re.search(r'<tr class="verdict-[^"]+">\s*<th scope="row"><code class="wrap">'
                    + re.escape(target.replace('"', "&#34;")) + r"</code>(.*?)</tr>", html, re.S)
    assert row, target
    value = re.search(r'data-label="Value">(.*?)</td>', row.group(1), re.S).group(1)
    kind = re.search(r'data-label="Verdict"><span class="badge badge-\w+">([^<]+)<',
                     row.group(1)).group(1)
    return re.sub(r"<[^>]+>", "", value), kind


def test_the_default_page_evaluates_the_entra_default_for_a_sample_person(admin_client):
    html = page(admin_client.get("/admin/mappings"))
    assert "Mapping workbench" in html
    assert 'value="Not([IsSoftDeleted])"' in html
    assert verdict_of(html, "userName") == ('"ingrid.solberg@contoso.example"', "accepted")
    assert verdict_of(html, "active") == ('"True"', "accepted")
    assert "POST /scim/v2/Users" in html and "201 Created" in html
    assert "&#34;value&#34;: false" in html  # the PATCH of the default change
    assert '<form method="post" action="/admin/mappings/save">' in html


def test_a_kantega_row_for_a_person_without_mail(admin_client):
    url = query([("userPrincipalName", "userName", "1"), (KANTEGA_EMAIL, presets.WORK_EMAIL, "")],
                person="no-mail", values="userPrincipalName = tomasz@contoso.example\n"
                                         "givenName = Tomasz")
    html = page(admin_client.get(url))
    assert verdict_of(html, presets.WORK_EMAIL) == ('"tomasz@contoso.example"', "accepted")


def test_loading_a_person_and_a_preset(admin_client):
    html = page(admin_client.get("/admin/mappings?action=load-person&person=diacritics"
                                 "&values=ignored+%3D+x"))
    assert "displayName = Øyvind Bræk-Ødegård" in html
    assert verdict_of(html, "displayName") == ('"Øyvind Bræk-Ødegård"', "accepted")
    html = page(admin_client.get("/admin/mappings?action=load-mapping&mapping=kantega"
                                 "&source=x&target=y"))
    assert "Switch(IsPresent([mail])" in html
    assert 'value="y"' not in html


def test_a_bad_expression_shows_its_position_not_an_error_page(admin_client):
    response = admin_client.get(query([("userPrincipalName", "userName", "1"),
                                       ('Join(" ", [givenName] [surname])', "displayName", "")]))
    assert response.status_code == 200
    html = page(response)
    assert verdict_of(html, "displayName")[1] == "error"
    assert "syntax error at position 23: expected , or ) after an argument, found &#39;[&#39;" \
        in html


def test_a_bad_source_line_is_reported(admin_client):
    response = admin_client.get(query([("mail", "userName", "1")], values="just text"))
    assert response.status_code == 200
    assert "Source values: line 1: write attribute = value" in page(response)


def test_an_unknown_target_gets_its_fix(admin_client):
    html = page(admin_client.get(query([("userPrincipalName", "userName", "1"),
                                        ("department", "costCentre", "")])))
    assert verdict_of(html, "costCentre")[1] == "ignored"
    assert "declare a custom field" in html


def test_the_directory_check(admin_client, make_user):
    make_user("ada@example.com")
    make_user("bob@example.com", emails=[])
    html = page(admin_client.get("/admin/mappings?action=check"))
    assert "Checked 2 of 2 people" in html
    assert "1 person would get an empty work email" in html
    assert "An approximation." in html


def test_export_gives_the_rows_as_json(admin_client):
    rows = [("userPrincipalName", "userName", "1"), (presets.SAFE_ACTIVE, "active", "")]
    response = admin_client.get(query(rows).replace("/admin/mappings?", "/admin/mappings/export?"))
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert mapfile.loads(response.get_data()) == [
        mapfile.Row("userPrincipalName", "userName", 1),
        mapfile.Row(presets.SAFE_ACTIVE, "active")]


def test_save_then_the_saved_mapping_is_the_default(admin_client):
    data = {"source": ["userPrincipalName", presets.SAFE_ACTIVE, 'Append([givenName], "-Ø")'],
            "target": ["userName", "active", "nickName"], "matching": ["1", "", ""]}
    response = admin_client.post("/admin/mappings/save", data=data)
    assert response.status_code == 302
    assert mappings.saved()[2] == mapfile.Row('Append([givenName], "-Ø")', "nickName")
    html = page(admin_client.get("/admin/mappings"))
    assert 'value="Append([givenName], &#34;-Ø&#34;)"' in html
    assert "Saved mapping (3 rows)" in html
    assert verdict_of(html, "nickName") == ('"Ingrid-Ø"', "accepted")
    record = db.session.execute(select(ChangeRecord).where(
        ChangeRecord.action == "mapping.save")).scalar_one()
    assert record.actor == "alice"


@pytest.mark.parametrize(("data", "message"), [
    ({"source": ["Join("], "target": ["displayName"], "matching": [""]},
     "Not saved: mapping 1 (displayName): position 6"),
    ({"source": [""], "target": [""], "matching": [""]}, "Not saved: the mapping has no rows"),
])
def test_save_refuses_a_bad_mapping(admin_client, data, message):
    response = admin_client.post("/admin/mappings/save", data=data)
    assert response.status_code == 400
    assert message in page(response)
    assert mappings.saved() is None


def test_import_a_file_loads_the_rows_without_saving(admin_client):
    body = mapfile.dumps(presets.MAPPINGS["kantega"][1]).encode()
    response = admin_client.post("/admin/mappings/import", data={
        "file": (io.BytesIO(body), "mapping.json")}, content_type="multipart/form-data")
    assert response.status_code == 200
    html = page(response)
    assert "Imported 20 rows" in html
    assert "Switch(IsPresent([displayName])" in html
    assert mappings.saved() is None


@pytest.mark.parametrize(("text", "message"), [
    ("{", "Not imported: not JSON"),
    (json.dumps([{"source": "Left([a]", "target": "nickName"}]),
     "Not imported: mapping 1 (nickName): position 9"),
    (json.dumps({"format": "other", "mappings": []}), "expected format"),
])
def test_import_refuses_a_bad_file(admin_client, text, message):
    response = admin_client.post("/admin/mappings/import", data={"text": text})
    assert response.status_code == 400
    assert message in page(response)


def test_an_auditor_evaluates_checks_and_exports_but_does_not_save(auditor_client):
    before = counts()
    html = page(auditor_client.get("/admin/mappings?action=check"))
    assert "Checked 0 of 0 people" in html
    assert re.findall(r'<form method="post" action="([^"]+)"', html) == ["/auth/logout"]
    assert auditor_client.get("/admin/mappings/export").status_code == 200
    for url in ("/admin/mappings/save", "/admin/mappings/import"):
        response = auditor_client.post(url, data={"source": ["mail"], "target": ["userName"],
                                                  "text": "[]"})
        assert response.status_code == 403
    assert counts() == before


def test_the_page_is_linked_from_the_setup_guide_and_the_menu(admin_client):
    html = page(admin_client.get("/admin/setup"))
    assert 'href="/admin/mappings"' in html
    assert re.search(r'<a href="/admin/mappings" aria-current="page">Mapping workbench</a>',
                     page(admin_client.get("/admin/mappings")))


class TestWithCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    @pytest.fixture
    def signed_in(self, app, client):
        make_account("alice")
        token = csrf_from(page(client.get("/auth/login")))
        client.post("/auth/login", data={"username": "alice", "password": PASSWORD,
                                         "csrf_token": token})
        return client

    def test_save_needs_the_token(self, signed_in):
        data = {"source": ["mail"], "target": ["userName"], "matching": ["1"]}
        assert signed_in.post("/admin/mappings/save", data=data).status_code == 400
        assert signed_in.post("/admin/mappings/import", data={"text": "[]"}).status_code == 400
        assert mappings.saved() is None
        html = page(signed_in.get("/admin/mappings"))
        assert "csrf_token" not in html.split('id="workbench"')[1].split("</form>")[0]
        response = signed_in.post("/admin/mappings/save",
                                  data={**data, "csrf_token": csrf_from(html)})
        assert response.status_code == 302
        assert mappings.saved() == [mapfile.Row("mail", "userName", 1)]


def test_saved_by_the_cli_actor_too(app):
    mappings.save([mapfile.Row("mail", "userName", 1)], CLI)
    assert mappings.saved()[0].source == "mail"
