"""The setup guide: this instance's URL, and a mapping table generated from the live schema."""

import re

import pytest

from scim import patch
from services import custom_fields
from services import rules
from services.actor import CLI
from services.readmodels import guide
from tests.admin.helpers import page

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CUSTOM = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"
SAMPLE = {"string": "x", "boolean": True, "integer": 3, "decimal": 1.5, "binary": "AAAA",
          "dateTime": "2024-01-02T03:04:05Z", "reference": "https://example.com/x"}


def test_the_guide_names_this_instance_and_the_steps(admin_client):
    html = page(admin_client.get("/admin/setup"))
    for text in ("http://localhost/scim/v2", 'href="/admin/tokens"', "Test Connection",
                 "40 minutes", "quarantine", "Rotate", "Okta", "Non-gallery"):
        assert text in html, text


def test_the_table_gives_entra_target_strings(admin_client):
    custom_fields.define("costCode", "string", False, "", CLI)
    html = page(admin_client.get("/admin/setup"))
    for target in ("userName", "emails[type eq &#34;work&#34;].value", "name.givenName",
                   f"{ENTERPRISE}:department", f"{ENTERPRISE}:manager",
                   f"{ENTERPRISE}:organization", f"{CUSTOM}:costCode", "externalId",
                   "phoneNumbers[type eq &#34;mobile&#34;].value"):
        assert re.search(rf'<code id="(target|other)-\d+" class="wrap">{re.escape(target)}</code>',
                         html), target
    assert "<code class=\"wrap\">userPrincipalName</code>" in html


def test_every_target_attribute_has_a_copy_button(admin_client):
    custom_fields.define("costCode", "string", False, "", CLI)
    html = page(admin_client.get("/admin/setup"))
    targets = re.findall(r'<code id="((?:target|other)-\d+)" class="wrap">', html)
    assert len(targets) > 20
    for target in targets:
        assert f'data-copy="{target}"' in html, target


def test_a_custom_field_joins_and_leaves_the_table_at_once(admin_client):
    custom_fields.define("badge", "integer", False, "", CLI)
    assert f"{CUSTOM}:badge" in page(admin_client.get("/admin/setup"))
    custom_fields.retire("badge", CLI)
    assert f"{CUSTOM}:badge" not in page(admin_client.get("/admin/setup"))


@pytest.mark.parametrize("rule, source, target", [
    ("userName", "userPrincipalName", "userName"),
    ("email", "mail", "emails[type eq &#34;work&#34;].value"),
])
def test_the_recommended_matching_attribute_follows_the_rule(admin_client, rule, source, target):
    rules.save({"matching_attribute": rule}, CLI)
    html = page(admin_client.get("/admin/setup"))
    assert f"<code>{source}</code> → <code>{target}</code> matching precedence" in html


def test_every_target_in_the_table_is_a_path_rollcall_accepts(app):
    custom_fields.define("costCode", "string", False, "", CLI)
    custom_fields.define("hired", "dateTime", False, "", CLI)
    rtype = custom_fields.user_type()
    recommended, other = guide.mappings(rtype)
    assert len(recommended) >= 20 and other
    for mapping in recommended + other:
        value = {"value": "u"} if mapping.target.endswith("manager") else SAMPLE[mapping.type]
        body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "add", "path": mapping.target, "value": value}]}
        after, ignored = patch.apply({"userName": "u"}, patch.operations(body), rtype,
                                     unknown="reject")
        assert after != {"userName": "u"} and not ignored, mapping.target


@pytest.mark.parametrize("kind, text", [
    ("decimal", "String in Entra (it has no decimal type)"),
    ("integer", "64 bits"),
    ("dateTime", "stores it in UTC and compares instants"),
])
def test_each_custom_type_gets_its_entra_type_and_what_it_accepts(admin_client, kind, text):
    custom_fields.define("weight", kind, False, "", CLI)
    html = page(admin_client.get("/admin/setup"))
    assert text in html
    row = next(m for m in guide.mappings()[0] if m.target == f"{CUSTOM}:weight")
    assert row.entra_type == {"decimal": "String", "integer": "Integer",
                              "dateTime": "DateTime"}[kind]


def test_no_type_notes_without_custom_fields(admin_client):
    assert "64 bits" not in page(admin_client.get("/admin/setup"))


@pytest.mark.parametrize("values, required", [
    ({"require_email": True}, True), ({"matching_attribute": "email"}, True), ({}, False)])
def test_the_guide_says_how_to_keep_users_without_email_out_of_scope(admin_client, values,
                                                                     required):
    rules.save(values, CLI)
    html = page(admin_client.get("/admin/setup"))
    assert "Source Object Scope" in html and "<code>mail</code> <strong>IS NOT NULL" in html
    assert ("need a work email on every new user" in html) is required
