"""Schemathesis' conformance checks against a live server: the OpenAPI document is true.

Every check runs (`--checks all`): status codes, content types, response schemas and
headers, schema-valid requests accepted and schema-invalid ones rejected, 405 with
Allow for undocumented methods, OPTIONS listing exactly the documented methods, auth
enforced. tests/hardening/schemathesis.toml holds the few answers RFC 7644 makes right
that JSON Schema cannot express (a 501 for /Me, a 400 for a filter or PATCH path outside
the grammar). Deterministic and bounded: FUZZ_EXAMPLES examples per operation.
"""

import os
import shutil
import subprocess
import sys

import pytest

from tests.hardening.support import ROOT
from tests.hardening.support import Server
from tests.hardening.support import new_token

EXAMPLES = os.environ.get("FUZZ_EXAMPLES", "10")
CONFIG = ROOT / "tests" / "hardening" / "schemathesis.toml"


def schemathesis_cli() -> list[str]:
    found = shutil.which("st", path=os.path.dirname(sys.executable))
    if found is None:
        pytest.skip("the schemathesis command is not installed")
    return [found]


def test_the_api_conforms_to_its_openapi_document(app, tmp_path):
    secret = new_token("Schemathesis Ünïcode")
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with Server(tmp_path, url, workers=1, threads=4, RATELIMIT_STORAGE_URI="memory://",
                SCIM_RATE_LIMIT="100000/second", SCIM_AUTH_FAILURE_LIMIT="100000/second") as server:
        result = subprocess.run(
            [*schemathesis_cli(), "--config-file", str(CONFIG), "run",
             str(ROOT / "openapi" / "scim.json"), "--url", f"{server.base}/scim/v2",
             "-H", f"Authorization: Bearer {secret}", "--checks", "all",
             "--max-examples", EXAMPLES, "--generation-deterministic",
             "--phases", "examples,coverage,fuzzing", "--no-color"],
            capture_output=True, text=True, timeout=600, cwd=tmp_path)
    summary = result.stdout[-6000:]
    assert result.returncode == 0, summary
    assert " passed" in summary and "failed" not in summary.split("SUMMARY")[-1], summary
