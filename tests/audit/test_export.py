"""Exports stream the filtered range in keyset batches, as CSV or JSON Lines."""

import csv
import io
import json

import pytest

from models import RequestLog
from services.audit import export as audit_export
from services.audit import query as audit_query


@pytest.fixture
def many(scim, make_user):
    for n in range(5):
        make_user(f"e{n}@example.com")
    for n in range(6):
        scim.get(f"Users/missing-{n}")


def test_csv_export_is_streamed_and_holds_the_filtered_rows(many, auditor, rows):
    response = auditor.get("/admin/audit/export.csv?kind=requests&status=4")
    assert response.is_streamed and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")  # a UTF-8 byte-order mark, for Excel
    records = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    expected = [r for r in rows(RequestLog) if r.status >= 400]
    assert [int(r["id"]) for r in records] == [r.id for r in expected]
    assert {r["status"] for r in records} == {"404"}
    assert records[0]["content_hash"] == expected[0].content_hash


def test_jsonl_export_of_changes(many, auditor):
    response = auditor.get("/admin/audit/export.jsonl?kind=changes&action=user.create")
    assert response.is_streamed and response.mimetype == "application/x-ndjson"
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert [line["resource_name"] for line in lines] == [f"e{n}@example.com" for n in range(5)]
    assert lines[0]["changes"]["userName"] == [None, "e0@example.com"]


def test_export_reads_in_keyset_batches(many, rows, monkeypatch):
    monkeypatch.setattr(audit_export, "BATCH", 3)
    batches = list(audit_export.batches("requests", audit_query.RequestFilter()))
    assert all(len(b) <= 3 for b in batches) and len(batches) > 3
    assert [r.id for b in batches for r in b] == [r.id for r in rows(RequestLog)]
    chunks = audit_export.export("requests", audit_query.RequestFilter(), "jsonl")
    assert not isinstance(chunks, list) and len(list(chunks)) == len(batches)


def test_csv_cells_cannot_become_spreadsheet_formulas(client, rows, auditor):
    client.get("/scim/v2/Users", headers={"User-Agent": "=HYPERLINK(\"http://x\")"})
    body = auditor.get("/admin/audit/export.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in body


def test_unknown_export_format_is_404(auditor):
    assert auditor.get("/admin/audit/export.xml").status_code == 404
    assert auditor.get("/admin/audit/export.csv?kind=users").status_code == 404


def test_cli_export(many, runner, tmp_path):
    out = tmp_path / "changes.jsonl"
    result = runner.invoke(args=["audit", "export", "--kind", "changes", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert len(out.read_text().splitlines()) == 6  # the token, then five users
