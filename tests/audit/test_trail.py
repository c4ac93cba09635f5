"""Viewing and exporting the directory and the audit log leaves a trace: who, what, which filter."""

import csv
import io

from sqlalchemy import select

from models import ChangeRecord
from models import db


def traces(action_prefix: str) -> list[ChangeRecord]:
    db.session.rollback()
    stmt = (select(ChangeRecord).where(ChangeRecord.action.startswith(action_prefix))
            .order_by(ChangeRecord.id))
    return list(db.session.execute(stmt).scalars())


def test_a_view_records_who_what_and_the_filter(auditor):
    assert auditor.get("/admin/audit/changes?q=Øster&action=user.").status_code == 200
    [view] = traces("audit.view")
    assert (view.actor_kind, view.actor, view.resource_type) == ("admin", "olga", "AuditLog")
    assert view.changes["page"] == [None, "changes"]
    assert view.changes["filter"] == [None, {"action": "user.", "q": "Øster"}]


def test_views_are_recorded_once_a_minute_per_filter_and_session(auditor, monkeypatch):
    from blueprints import trail

    for _ in range(3):
        auditor.get("/admin/audit/?status=4")
        auditor.get("/admin/audit/?status=4&before=99")  # paging: the same view
    assert len(traces("audit.view")) == 1
    auditor.get("/admin/audit/?status=5")  # another filter: another view
    assert len(traces("audit.view")) == 2
    clock = trail.time.time
    monkeypatch.setattr(trail.time, "time", lambda: clock() + 61)
    auditor.get("/admin/audit/?status=4")
    assert len(traces("audit.view")) == 3


def test_every_export_is_recorded(auditor, admin_ui):
    for _ in range(2):
        auditor.get("/admin/audit/export.csv?kind=changes&actor=entra").get_data()
    exports = traces("audit.export")
    assert len(exports) == 2
    assert exports[0].changes["filter"] == [None, {"actor": "entra", "kind": "changes"}]
    admin_ui.get("/admin/directory/users.csv?department=Førsk").get_data()
    [export] = traces("directory.export")
    assert export.actor == "alice" and export.changes["page"] == [None, "users.csv"]
    assert export.changes["filter"] == [None, {"department": "Førsk"}]


def test_directory_pages_are_recorded_with_the_user_they_show(make_user, admin_ui):
    user = make_user("Żaneta@example.com")
    admin_ui.get(f"/admin/directory/users/{user['id']}")
    admin_ui.get("/admin/directory?state=active")
    views = traces("directory.view")
    assert [(v.resource_name, v.resource_id) for v in views] == [
        ("user", user["id"]), ("users", None)]


def test_the_directory_csv_opens_in_excel(make_user, admin_ui):
    make_user("müller@example.com", displayName="Jürgen Müller")
    data = admin_ui.get("/admin/directory/users.csv").get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0]["id"] and rows[0]["displayName"] == "Jürgen Müller"
