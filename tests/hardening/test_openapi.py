"""The OpenAPI 3.1 document of the SCIM API is served and stays true to the URL map."""

import json
import re

import pytest
import schemathesis

from tests.hardening.support import ROOT

DOCUMENT = json.loads((ROOT / "openapi" / "scim.json").read_text())
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def flask_operations(app) -> set:
    """(path with {} for parameters, METHOD) of every SCIM route."""
    out = set()
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("scim."):
            continue
        path = re.sub(r"<[^>]+>", "{}", rule.rule.removeprefix("/scim/v2"))
        out |= {(path, method) for method in rule.methods - IGNORED_METHODS}
    return out


def documented_operations() -> set:
    out = set()
    for path, item in DOCUMENT["paths"].items():
        shape = re.sub(r"\{[^}]+\}", "{}", path)
        out |= {(shape, method.upper()) for method in item if method != "parameters"}
    return out


def test_every_scim_route_is_documented_and_every_documented_route_exists(app):
    assert flask_operations(app) == documented_operations()


def test_the_document_is_openapi_3_1_and_loads(app):
    assert DOCUMENT["openapi"].startswith("3.1")
    assert DOCUMENT["servers"] == [{"url": "/scim/v2", "description": "This Rollcall server"}]
    schema = schemathesis.openapi.from_dict(DOCUMENT)
    operations = [result.ok() for result in schema.get_all_operations()]  # every $ref resolves
    assert len(operations) == len(documented_operations())


@pytest.mark.parametrize("path, method", sorted(documented_operations() - {("/openapi.json",
                                                                          "GET")}))
def test_every_operation_needs_the_bearer_token_and_may_be_throttled(path, method):
    item = next(v for k, v in DOCUMENT["paths"].items() if re.sub(r"\{[^}]+\}", "{}", k) == path)
    operation = item[method.lower()]
    assert operation.get("security", DOCUMENT["security"]) == [{"bearer": []}]
    assert {"401", "429"} <= set(operation["responses"])


def test_the_document_is_served_without_a_token(scim, client):
    response = client.get("/scim/v2/openapi.json")  # no token: it holds no secret
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.oai.openapi+json"
    assert json.loads(response.get_data()) == DOCUMENT
    assert DOCUMENT["paths"]["/openapi.json"]["get"]["security"] == []
    assert scim.get("openapi.json").status_code == 200
