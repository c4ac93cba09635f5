"""Token-shaped strings are masked wherever a client puts them, before any log sees them."""

import json
import logging

import pytest

from logging_setup import JsonFormatter
from services.audit import requestlog
from tests.admin.helpers import FreshClient
from tests.admin.helpers import cheap_hashes
from tests.admin.helpers import make_account
from tests.admin.helpers import sign_in
from tests.hardening.support import new_token
from tests.hardening.support import table_rows


@pytest.fixture(autouse=True)
def _cheap(monkeypatch):
    cheap_hashes(monkeypatch)


def places(secret):
    """(method, path, headers) with the secret in a path, a query, a filter, a header."""
    other = secret.upper()  # a case variant is masked too
    return [
        ("GET", f"/scim/v2/Users/{secret}", {}),
        ("GET", f"/scim/v2/Users?api_key={secret}", {}),
        ("GET", f'/scim/v2/Users?filter=userName eq "{secret}"', {}),
        ("GET", f"/scim/v2/Users?filter=displayName%20eq%20%22{other}%22", {}),
        ("GET", "/scim/v2/Users/%72cscim_" + secret[7:], {}),
        ("GET", "/scim/v2/Groups", {"User-Agent": f"Ünïcode-client {secret}"}),
        ("DELETE", f"/scim/v2/Users/{secret}/x", {}),
    ]


def test_no_log_row_line_page_or_export_shows_a_token(app, runner, capsys):
    secret = new_token("Ørsted")
    client = app.test_client()
    auth = {"Authorization": f"Bearer {secret}"}
    for method, path, headers in places(secret):
        client.open(path, method=method, headers={**auth, **headers})
    client.post("/scim/v2/Users", headers=auth, json={
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "zoë@example.com",
        secret: "an unknown attribute named like the token"})  # a note names it
    requestlog.writer_for(app).flush()
    make_account("Zoë")
    app.test_client_class = FreshClient
    admin = app.test_client()
    sign_in(admin, "Zoë")
    viewer = admin.get("/admin/audit/").get_data(as_text=True)
    details = [admin.get(f"/admin/audit/requests/{n}").get_data(as_text=True)
               for n in range(1, 10)]
    export = runner.invoke(args=["audit", "export", "--kind", "requests"]).output
    stderr = capsys.readouterr().err
    haystacks = {"json log": stderr, "viewer": viewer + "".join(details), "export": export,
                 "request log": repr(table_rows()["request_log"])}
    assert "rcscim_[redacted]" in haystacks["request log"]  # the rows are there, masked
    assert "/scim/v2/Users/rcscim_[redacted]" in stderr
    for where, text in haystacks.items():
        for needle in (secret[7:], secret.upper()[7:]):
            assert needle not in text, where


def test_every_field_of_a_json_log_line_is_redacted():
    record = logging.LogRecord("rollcall.request", logging.INFO, __file__, 1, "GET %s", ("/x",),
                               None)
    record.fields = {"path": "/scim/v2/Users/rcscim_abcdefghijklmnop",
                     "nested": {"list": ["Bearer abcdefghijklmnopqrstu"]}, "status": 200}
    line = json.loads(JsonFormatter().format(record))
    assert line["path"] == "/scim/v2/Users/rcscim_[redacted]"
    assert line["nested"] == {"list": ["Bearer [redacted]"]}
    assert line["status"] == 200
