"""Bodies of SCIM writes: kept redacted and capped, shown with the diff, pruned on their own."""

import json
from datetime import timedelta

from models import RequestLog
from services import settings
from services.audit import bodies

PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"


def text(response):
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _last(rows, method):
    return [r for r in rows(RequestLog) if r.method == method][-1]


def test_a_write_keeps_its_bodies_without_the_password(scim, rows):
    created = scim.post("Users", {"schemas": [USER], "userName": "Ørnulf@example.com",
                                  "password": "Hunter2-geheim", "title": "Ingeniør"}).get_json()
    row = _last(rows, "POST")
    sent, answered = json.loads(row.request_body), json.loads(row.response_body)
    assert sent["userName"] == "Ørnulf@example.com" and sent["password"] == "[redacted]"
    assert answered["id"] == created["id"]
    assert "Hunter2" not in row.request_body + row.response_body


def test_a_patch_of_the_password_and_a_token_in_a_value_are_redacted(scim, make_user, rows):
    user = make_user("ßtraße@example.com")
    scim.patch(f"Users/{user['id']}", {"schemas": [PATCH], "Operations": [
        {"op": "replace", "path": "password", "value": "s3cret-Pässword"},
        {"op": "replace", "path": "title", "value": "rcscim_AbCdEf0123456789_leaked"}]})
    row = _last(rows, "PATCH")
    assert "s3cret" not in row.request_body and "rcscim_AbCd" not in row.request_body
    assert row.request_body.count("[redacted]") == 2


def test_reads_keep_no_body(scim, make_user, rows):
    user = make_user("İpek@example.com")
    scim.get(f"Users/{user['id']}")
    row = _last(rows, "GET")
    assert row.request_body is None and row.response_body is None


def test_bodies_are_capped_at_64_kib():
    body = json.dumps({"displayName": "Ø" * 100_000}).encode()
    kept = bodies.capture("POST", body)
    assert len(kept.encode()) < bodies.MAX_BYTES + 100
    assert kept.endswith("the first 65,536 kept")
    assert bodies.capture("POST", b"not json rcscim_secret123") == "not json rcscim_[redacted]"
    broken = bodies.capture("POST", '{"userName": "Ø", "password": "p\\"w", "x": [[')
    assert "p\\" not in broken and '"password": "[redacted]"' in broken
    assert bodies.capture("POST", "[" * 5000).startswith("[[[")  # too deep for json: text


def test_the_request_page_shows_the_bodies_and_the_diff(scim, make_user, auditor, rows):
    user = make_user("Żaneta@example.com")
    scim.patch(f"Users/{user['id']}", {"schemas": [PATCH], "Operations": [
        {"op": "replace", "path": "title", "value": "Kierowniczka"}]})
    html = text(auditor.get(f"/admin/audit/requests/{_last(rows, 'PATCH').id}"))
    assert "Request body" in html and "Response body" in html
    assert html.count("Kierowniczka") >= 3  # sent, answered, and the diff's "after"
    assert 'class="diff"' in html


def test_a_body_is_kept_as_sent_and_shown_indented(scim, auditor, rows):
    sent = '{"schemas":["%s"],"userName":"Ｚｏë@example.com","title":"Straße"}' % USER
    response = scim.client.post("/scim/v2/Users", data=sent.encode(), headers=scim.headers)
    assert response.status_code == 201, response.get_json()
    row = _last(rows, "POST")
    assert row.request_body == sent  # byte for byte: nothing to redact, nothing parsed
    html = text(auditor.get(f"/admin/audit/requests/{row.id}"))
    assert '\n "userName": "Ｚｏë@example.com",\n' in html.replace("&#34;", '"')


def test_prune_bodies_blanks_old_bodies_and_the_chain_still_verifies(scim, make_user, runner,
                                                                     rows, monkeypatch):
    make_user("Ærø@example.com")
    result = runner.invoke(args=["audit", "prune-bodies"])
    assert "Blanked the bodies of 0 requests older than 30 days" in result.output
    now = bodies.utcnow
    monkeypatch.setattr(bodies, "utcnow", lambda: now() + timedelta(days=31))
    result = runner.invoke(args=["audit", "prune-bodies"])
    assert result.exit_code == 0, result.output
    assert "Blanked the bodies of 1 requests older than 30 days" in result.output
    verify = runner.invoke(args=["audit", "verify"])
    assert verify.exit_code == 0, verify.output
    row = _last(rows, "POST")
    assert row.request_body is None and row.response_body is None


def test_the_retentions_are_provisioning_rules(admin_ui, runner, rows):
    response = admin_ui.post("/admin/settings", data={
        "matching_attribute": "userName", "delete_mode": "delete", "unknown_attributes": "ignore",
        "audit_retention_days": "400", "body_retention_days": "7"}, follow_redirects=True)
    html = text(response)
    assert "bodies kept (days): 30 → 7" in html and "audit records kept (days): 365 → 400" in html
    assert "_days changed" not in html and "seat limit" not in html  # only what changed
    settings.invalidate()
    assert settings.get("body_retention_days") == 7
    assert "older than 7 days" in runner.invoke(args=["audit", "prune-bodies"]).output


def test_a_retention_out_of_range_is_refused_in_the_admins_words(admin_ui):
    response = admin_ui.post("/admin/settings", data={
        "matching_attribute": "userName", "delete_mode": "delete", "unknown_attributes": "ignore",
        "body_retention_days": "0"})
    assert response.status_code == 400
    assert "Enter a whole number of days from 1 to 3,650." in response.get_data(as_text=True)


def test_audit_prune_blanks_old_bodies_too(scim, make_user, runner, monkeypatch):
    make_user("Øyvind@example.com")
    now = bodies.utcnow
    monkeypatch.setattr(bodies, "utcnow", lambda: now() + timedelta(days=31))
    result = runner.invoke(args=["audit", "prune"])
    assert result.exit_code == 0, result.output
    assert "Blanked the bodies of 1 requests older than 30 days" in result.output


def _slow_capture(raw: str) -> str:
    """capture() without its shortcuts: the whole redaction walk and both regexes, always."""
    kept = json.dumps(bodies.redact(json.loads(raw)), ensure_ascii=False, indent=1)
    return bodies.cap(bodies.UNSTORABLE.sub("\ufffd", bodies.tokens.TOKEN_SHAPED.sub(
        "rcscim_[redacted]", kept)))


def test_the_shortcuts_keep_what_the_full_walk_keeps():
    # Kept as sent (redacted only where a secret could be), shown indented: what an
    # auditor reads is what the full walk, which parsed and indented every body, kept.
    bodies_sent = [
        '{"userName": "Øyvind.Ærø@example.com", "name": {"givenName": "İlkay"}}',
        '{"userName": "ß", "\\u0070assword": "hunter2"}',  # the key spelled with an escape
        '{"userName": "x", "paſsword": "hunter2"}',  # ſ folds to s, for the regex too
        '{"userName": "x", "credentİal": "hunter2", "ToKen": "k", "credentıal": "c"}',
        '{"Operations": [{"op": "replace", "path": "PASSWORD", "value": "x"}]}',
        '{"userName": "x", "note": "RCSCIM_abcdef123"}',
        '{"userName": "x\\u0000y", "displayName": "\\ud800"}',
        '{"userName": "ＦＵＬＬ＿ｗｉｄｔｈ", "title": "plain_text"}',
    ]
    for raw in bodies_sent:
        assert bodies.readable(bodies.capture("POST", raw)) == _slow_capture(raw), raw
    assert "hunter2" not in bodies.capture("POST", bodies_sent[1])
    assert "hunter2" not in bodies.capture("POST", bodies_sent[3])
    assert "hunter2" not in bodies.capture("POST", bodies_sent[2])
