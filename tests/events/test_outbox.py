"""The outbox: an event for each change record that is one, in the change's transaction."""

import uuid

import pytest
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import text

from models import Event
from models import db
from services import custom_fields
from services import tokens
from services.actor import CLI
from services.events import sequencer
from tests.conftest import IS_POSTGRES
from tests.events.conftest import events_in_order

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def _patch(*operations):
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def test_each_change_is_an_event_with_a_gap_free_position(scim, make_user):
    user = make_user("zoë.ørsted@example.com", displayName="Zoë Ørsted")
    uid = user["id"]
    assert scim.patch(f"Users/{uid}", _patch({"op": "replace", "path": "title",
                                              "value": "Größte İngenieurin"})).status_code == 200
    assert scim.patch(f"Users/{uid}", _patch({"op": "replace", "path": "active",
                                              "value": False})).status_code == 200
    assert scim.patch(f"Users/{uid}", _patch({"op": "replace", "path": "active",
                                              "value": True})).status_code == 200
    group = scim.post("Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                 "displayName": "Ｅｎｇｉｎｅｅｒｓ"}).get_json()
    gid = group["id"]
    added = scim.patch(f"Groups/{gid}", _patch({"op": "add", "path": "members",
                                                "value": [{"value": uid}]}))
    assert added.status_code in (200, 204)
    assert scim.patch(f"Groups/{gid}", _patch({"op": "remove",
                                               "path": f'members[value eq "{uid}"]'})
                      ).status_code in (200, 204)
    assert scim.delete(f"Groups/{gid}").status_code == 204
    assert scim.delete(f"Users/{uid}").status_code == 204

    assert sequencer.sequence(db.engine) == 9
    events = events_in_order()
    assert [(e.resource_type, e.event_type) for e in events] == [
        ("User", "create"), ("User", "patch"), ("User", "deactivate"), ("User", "activate"),
        ("Group", "create"), ("Group", "patch"), ("Group", "patch"), ("Group", "delete"),
        ("User", "delete")]
    assert [e.position for e in events] == list(range(1, 10))
    assert all(uuid.UUID(e.event_id) for e in events)
    assert events[5].changes["members.added"] == [None, [uid]]
    assert events[6].changes["members.removed"] == [[uid], None]
    assert events[1].changes["title"] == [None, "Größte İngenieurin"]


def test_a_rolled_back_change_has_no_event(scim, make_user):
    make_user("ßen@example.com")
    duplicate = scim.post("Users", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                                    "userName": "ßen@example.com",
                                    "emails": [{"value": "ßen@example.com"}]})
    assert duplicate.status_code == 409
    bad = scim.post("Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                               "displayName": "Ghosts", "members": [{"value": str(uuid.uuid4())}]})
    assert bad.status_code == 400
    sequencer.sequence(db.engine)
    assert [(e.resource_type, e.event_type) for e in events_in_order()] == [("User", "create")]


def test_custom_fields_are_events_tokens_are_not(app):
    custom_fields.define("costCentre", "string", False, "Kostenstelle Ø", CLI)
    tokens.issue("another-token", 30, CLI)
    sequencer.sequence(db.engine)
    assert [(e.resource_type, e.event_type, e.resource_id) for e in events_in_order()] == [
        ("CustomField", "create", "costCentre")]


def test_sequencing_again_changes_nothing(make_user):
    make_user("émile@example.com")
    assert sequencer.sequence(db.engine) == 1
    assert sequencer.sequence(db.engine) == 0
    assert [e.position for e in events_in_order()] == [1]


@pytest.mark.skipif(not IS_POSTGRES, reason="two concurrent writers need PostgreSQL")
def test_an_event_committing_late_gets_the_next_position_not_a_skipped_one(app):
    """The id order is not commit order: the late one must come after what readers have seen."""
    late = db.engine.connect()
    tx = late.begin()
    late.execute(insert(Event.__table__), [_row("late")])  # takes the lower id, commits last
    with db.engine.begin() as conn:
        conn.execute(insert(Event.__table__), [_row("early")])
    assert sequencer.sequence(db.engine) == 1
    tx.commit()
    late.close()
    assert sequencer.sequence(db.engine) == 1
    rows = db.session.execute(select(Event.resource_id, Event.id, Event.position)
                              .order_by(Event.position)).all()
    assert [r.resource_id for r in rows] == ["early", "late"]
    assert rows[0].id > rows[1].id
    db.session.execute(text("SELECT 1"))


def _row(resource_id: str) -> dict:
    from models import utcnow

    return {"event_id": str(uuid.uuid4()), "at": utcnow(), "action": "user.patch",
            "event_type": "patch", "resource_type": "User", "resource_id": resource_id}


def test_an_unlisted_user_or_group_action_is_still_a_patch_event():
    from models import utcnow
    from services import events

    record = {"action": "user.merge", "resource_type": "User", "resource_id": "u1",
              "at": utcnow(), "changes": {"title": ["a", "b"]}}
    assert events.event_row(record)["event_type"] == "patch"
    assert events.event_row({**record, "action": "token.issue", "resource_type": "Token"}) is None
