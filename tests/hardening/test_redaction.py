"""Token-shaped strings are masked wherever a client puts them, before any log sees them."""

import json
import logging
import re

import pytest

import logging_setup
from logging_setup import JsonFormatter
from services import folding
from services.audit import bodies as bodies_module
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


# Every letter IGNORECASE matches to each ASCII letter, in the Basic Multilingual Plane
# (none outside it folds to ASCII).
_FOLDS = {letter: [chr(cp) for cp in range(0x10000) if not 0xD800 <= cp <= 0xDFFF
                   and re.fullmatch(letter, chr(cp), re.I)]
          for letter in "abcdefghijklmnopqrstuvwxyz"}


@pytest.mark.parametrize("words", [bodies_module._SECRET_WORDS, logging_setup._WORDS])
def test_the_word_prefilter_never_misses_what_ignorecase_finds(words):
    for word in words:
        pattern = re.compile(word, re.I)
        for i, letter in enumerate(word):
            for variant in _FOLDS[letter]:
                text = f"x{word[:i]}{variant}{word[i + 1:]}y"
                assert pattern.search(text)
                assert folding.contains_any(text, words), (word, hex(ord(variant)))
    assert not folding.contains_any("Øyvind İpek ſtraße", words)


def test_a_log_field_is_redacted_as_by_every_pattern():
    fields = ["GET /scim/v2/Users", "Authorization: Bearer abcdefghijkl", "BASİC dXNlcjpwYXNz",
              "paſſword=hunter2", "/Users/rcscim_abcdefghijklmnop", "Øyvind: plain",
              "{'secret': 'x y'}", "token=rcscim_AbCd_ef", ""]
    for text in fields:
        full = text
        for pattern, replacement in logging_setup._SECRETS:
            full = pattern.sub(replacement, full)
        assert logging_setup.redact(text) == full, text
    assert "hunter2" not in logging_setup.redact("paſſword=hunter2")
