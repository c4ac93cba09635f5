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
