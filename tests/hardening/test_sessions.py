"""Admin sessions are server-side: ending one ends every copy of its cookie.

Each test copies a signed-in browser's session cookie into a second client (an attacker
who stole it) and checks which of the two still reaches /admin/ after the action.
"""

import pytest
from sqlalchemy import select

from models import AdminUser
from models import ChangeRecord
from models import db
from services import admins
from tests.admin.helpers import PASSWORD
from tests.admin.helpers import FreshClient
from tests.admin.helpers import cheap_hashes
from tests.admin.helpers import make_account
from tests.admin.helpers import sign_in

NEW_PASSWORD = "Ørsted bläst 5 grüne Äpfel"


@pytest.fixture(autouse=True)
def _cheap(monkeypatch):
    cheap_hashes(monkeypatch)


def browser(app):
    app.test_client_class = FreshClient
    return app.test_client()


def signed_in(app, name="Søren", role="admin"):
    if admins.by_name(name) is None:
        make_account(name, role)
    client = browser(app)
    assert sign_in(client, name).status_code == 302
    return client


def copy_of(app, client):
    """A second client carrying the same session cookie."""
    thief = browser(app)
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def inside(client) -> bool:
    return client.get("/admin/").status_code == 200


def actions(action):
    stmt = select(ChangeRecord).where(ChangeRecord.action == action).order_by(ChangeRecord.id)
    return list(db.session.execute(stmt).scalars())


def test_a_copied_cookie_works_until_the_session_ends(app):
    owner = signed_in(app)
    thief = copy_of(app, owner)
    assert inside(thief)
    owner.post("/auth/logout")
    assert not inside(owner)
    assert not inside(thief)  # the cookie still decodes, but its session row is gone


def test_a_password_change_ends_the_other_sessions(app):
    owner = signed_in(app)
    other = signed_in(app)
    thief = copy_of(app, other)
    response = owner.post("/auth/password", data={"current": PASSWORD, "new": NEW_PASSWORD,
                                                  "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert inside(owner)
    assert not inside(other) and not inside(thief)
    assert actions("admin.password_change")[0].changes["sessionsEnded"] == [None, 1]


def test_a_reset_from_the_command_line_ends_every_session(app):
    owner = signed_in(app)
    thief = copy_of(app, owner)
    result = app.test_cli_runner().invoke(args=["admins", "set-password", "Søren",
                                                "--password-stdin"], input=NEW_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert not inside(owner) and not inside(thief)
    assert actions("admin.password_reset")


def test_sign_out_everywhere_keeps_only_this_browser(app):
    owner = signed_in(app)
    thief = copy_of(app, signed_in(app))
    assert owner.post("/auth/sign-out-everywhere").status_code == 302
    assert inside(owner)
    assert not inside(thief)
    [record] = actions("admin.sign_out_everywhere")
    assert record.changes["sessionsEnded"] == [None, 1]


def test_an_admin_disables_and_enables_an_auditor_in_the_ui(app):
    owner = signed_in(app)
    auditor = signed_in(app, "Élodie", "auditor")
    target = admins.by_name("Élodie").id
    response = owner.post(f"/admin/admins/{target}/disable")
    assert response.status_code == 303
    assert not inside(auditor)
    assert sign_in(browser(app), "Élodie").status_code == 200  # refused, the form again
    assert actions("admin.disable")[0].actor == "Søren"
    owner.post(f"/admin/admins/{target}/enable")
    assert sign_in(browser(app), "Élodie").status_code == 302
    assert actions("admin.enable")


def test_an_admin_deletes_an_account_and_its_sessions_end(app):
    owner = signed_in(app)
    victim = signed_in(app, "İlkay")
    target = admins.by_name("İlkay").id
    assert "İlkay" in owner.get("/admin/admins").get_data(as_text=True)
    assert owner.post(f"/admin/admins/{target}/delete").status_code == 303
    assert not inside(victim)
    assert db.session.get(AdminUser, target) is None
    assert actions("admin.delete")[0].resource_name == "İlkay"


def test_the_last_active_admin_stays(app):
    owner = signed_in(app)
    me = admins.by_name("Søren").id
    for action in ("disable", "delete"):
        page = owner.post(f"/admin/admins/{me}/{action}", follow_redirects=True)
        assert "last active admin" in page.get_data(as_text=True)
    runner = app.test_cli_runner()
    for command in ("disable", "delete"):
        result = runner.invoke(args=["admins", command, "Søren"])
        assert result.exit_code != 0 and "last active admin" in result.output
    assert inside(owner)
    assert not actions("admin.disable") and not actions("admin.delete")


def test_disable_and_delete_from_the_command_line(app):
    make_account("Søren")
    victim = signed_in(app, "ßeta")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["admins", "disable", "ßeta"]).exit_code == 0
    assert not inside(victim)
    assert "disabled" in runner.invoke(args=["admins", "list"]).output
    assert runner.invoke(args=["admins", "delete", "ßeta"]).exit_code == 0
    assert admins.by_name("ßeta") is None
    assert [r.actor_kind for r in actions("admin.disable") + actions("admin.delete")] == [
        "cli", "cli"]
    assert runner.invoke(args=["admins", "delete", "nobody"]).exit_code != 0


def test_auditors_cannot_manage_accounts(app):
    make_account("Søren")
    auditor = signed_in(app, "Élodie", "auditor")
    target = admins.by_name("Søren").id
    assert auditor.get("/admin/admins").status_code == 403
    assert auditor.post(f"/admin/admins/{target}/disable").status_code == 403
    assert admins.by_name("Søren").disabled_at is None


def test_account_actions_need_the_csrf_token(app):
    owner = signed_in(app)
    victim = signed_in(app, "Élodie", "auditor")
    target = admins.by_name("Élodie").id
    app.config["WTF_CSRF_ENABLED"] = True
    owner.post(f"/admin/admins/{target}/delete")
    app.config["WTF_CSRF_ENABLED"] = False
    assert inside(victim)
    assert admins.by_name("Élodie") is not None


def test_a_failed_sign_in_keeps_no_name_that_matches_no_account(app):
    make_account("Søren")
    sign_in(browser(app), "my secret pässword 123", "x" * 12)
    [record] = actions("admin.sign_in_failed")
    assert "pässword" not in f"{record.actor} {record.resource_name} {record.changes}"
    assert record.resource_name == admins.UNKNOWN_ACCOUNT
