"""Tamper evidence: `audit verify` names the first record altered, inserted or deleted."""

import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy import text

from models import ChangeRecord
from models import RequestLog
from models import db
from models import utcnow
from models.audit import AuditChain
from services import audit
from services.actor import CLI
from services.audit import Target
from services.audit import chain as audit_chain
from services.audit import verify as audit_verify


@pytest.fixture
def trail(scim, make_user, runner):
    """Some requests and changes, sealed."""
    for n in range(4):
        make_user(f"u{n}@example.com")
    scim.get("Users")
    result = runner.invoke(args=["audit", "seal"])
    assert result.exit_code == 0, result.output
    return result


def verify(runner, *args):
    return runner.invoke(args=["audit", "verify", *args])


def test_sealing_links_every_record_in_id_order(trail, rows):
    for model in (RequestLog, ChangeRecord):
        records = rows(model)
        assert [r.seq for r in records] == list(range(1, len(records) + 1))
        assert records[0].prev_hash == audit_chain.GENESIS
        for before, after in zip(records, records[1:], strict=False):
            assert after.prev_hash == before.chain_hash


def test_an_intact_trail_verifies(trail, runner, get):
    result = verify(runner)
    assert result.exit_code == 0, result.output
    assert "requests: intact from #1" in result.output
    state = get(AuditChain, "changes")
    assert state.verify_ok and state.verified_at


def test_sealing_twice_changes_nothing(trail, runner, rows):
    before = [(r.seq, r.chain_hash) for r in rows(ChangeRecord)]
    assert "0 sealed" in runner.invoke(args=["audit", "seal"]).output
    assert [(r.seq, r.chain_hash) for r in rows(ChangeRecord)] == before


@pytest.mark.parametrize(("table", "label", "column", "value"), [
    ("change_records", "change record", "changes", json.dumps({"title": [None, "CEO"]})),
    ("change_records", "change record", "actor", "somebody else"),
    ("request_log", "request-log record", "status", 200),
    ("request_log", "request-log record", "path", "/scim/v2/Groups"),
])
def test_an_edited_field_is_named(trail, runner, sql, get, table, label, column, value):
    sql(f"UPDATE {table} SET {column} = :value WHERE id = 2", value=value)
    result = verify(runner)
    assert result.exit_code == 1
    first = result.output.splitlines()[0]
    assert f"{label} 2 (seq 2)" in first and "altered" in first
    assert get(AuditChain, "requests" if table == "request_log" else "changes").verify_ok is False


def test_an_edit_with_recomputed_hashes_breaks_the_next_link(trail, runner, rows, sql):
    """Someone who knows the algorithm rehashes the record: its successor no longer links."""
    record = rows(ChangeRecord)[1]
    fields = {c: getattr(record, c) for c in audit_chain.CHANGE_FIELDS} | {"actor": "mallory"}
    content = audit_chain.content_hash("changes", fields)
    chain = audit_chain.link(record.prev_hash, record.seq, record.id, content)
    sql("UPDATE change_records SET actor = 'mallory', content_hash = :c, chain_hash = :h "
        "WHERE id = :id", c=content, h=chain, id=record.id)
    result = verify(runner)
    assert result.exit_code == 1
    assert "change record 3 (seq 3): does not link to the record before it (seq 2)" \
        in result.output


def test_a_deleted_record_is_named(trail, runner, sql):
    sql("DELETE FROM change_records WHERE id = 2")
    result = verify(runner)
    assert result.exit_code == 1
    assert "change record 3 (seq 3): the record(s) with seq 2 before it are missing: deleted" \
        in result.output


def test_deleting_the_newest_records_is_caught(trail, runner, sql, count):
    total = count(ChangeRecord)
    sql("DELETE FROM change_records WHERE id >= :id", id=total - 1)
    result = verify(runner)
    assert result.exit_code == 1
    assert f"seq {total - 1}-{total} at the end of the chain are missing" in result.output


def test_an_inserted_record_is_named(trail, runner, sql, count):
    sql("INSERT INTO change_records (at, actor_kind, actor, action) "
        "VALUES (:at, 'admin', 'mallory', 'user.create')", at=utcnow())
    new_id = count(ChangeRecord)
    result = verify(runner)
    assert result.exit_code == 1
    assert f"change record {new_id}" in result.output and "inserted" in result.output


def test_a_record_slipped_into_the_chain_is_named(trail, runner, sql, rows):
    """A copy of a sealed record, given the next seq so that it looks sealed."""
    last = rows(ChangeRecord)[-1]
    sql("INSERT INTO change_records (at, actor_kind, actor, action, content_hash, seq, "
        "prev_hash, chain_hash) VALUES (:at, :kind, :actor, :action, :content, :seq, :prev, "
        ":chain)", at=last.at, kind=last.actor_kind, actor=last.actor, action=last.action,
        content=last.content_hash, seq=last.seq + 1, prev=last.chain_hash, chain=last.chain_hash)
    result = verify(runner, "--no-seal")
    assert result.exit_code == 1
    assert "beyond the last seal" in result.output or "altered" in result.output


def test_unsealed_records_are_checked_on_their_own(trail, scim, runner, rows, sql):
    scim.get("Users")
    newest = rows(RequestLog)[-1]
    assert newest.seq is None
    sql("UPDATE request_log SET status = 500 WHERE id = :id", id=newest.id)
    result = verify(runner, "--no-seal")
    assert result.exit_code == 1
    assert f"request-log record {newest.id}: its content does not match its hash" \
        in result.output


def test_records_committed_late_are_sealed_after_the_others(trail, make_user, rows, get):
    """A record with an id below the sealed ones (a transaction that committed late)."""
    make_user("late@example.com")
    late = rows(ChangeRecord)[-1]
    low_id = -5
    with db.engine.begin() as conn:
        conn.execute(ChangeRecord.__table__.update().where(ChangeRecord.id == late.id)
                     .values(id=low_id))
    audit_chain.seal(db.engine)
    assert get(ChangeRecord, low_id).seq == len(rows(ChangeRecord))
    assert audit_verify.verify(db.engine) == []


@pytest.fixture
def backdated(app, monkeypatch):
    """Make what is recorded look 400 days old until `monkeypatch.undo()` (the clock moves)."""
    import blueprints.scim
    import services.audit

    then = utcnow() - timedelta(days=400)
    monkeypatch.setattr(blueprints.scim, "utcnow", lambda: then)
    monkeypatch.setattr(services.audit, "utcnow", lambda: then)


def test_prune_removes_old_sealed_records_and_keeps_the_chain_verifiable(
        backdated, scim, make_user, runner, rows, get, monkeypatch):
    make_user("old@example.com")
    scim.get("Users")
    monkeypatch.undo()
    make_user("new@example.com")
    old_changes = [c.id for c in rows(ChangeRecord) if c.at < utcnow() - timedelta(days=365)]
    assert old_changes

    result = runner.invoke(args=["audit", "prune"])
    assert result.exit_code == 0, result.output
    remaining = rows(ChangeRecord)
    assert not set(old_changes) & {c.id for c in remaining}
    assert all(r.at > utcnow() - timedelta(days=365) for r in rows(RequestLog))
    assert remaining[-1].action == "audit.prune"
    result = verify(runner)
    assert result.exit_code == 0, result.output
    state = get(AuditChain, "changes")
    assert state.anchor_seq == len(old_changes) and state.pruned_at


def test_prune_days_option_and_unsealed_records_stay(backdated, scim, make_user, monkeypatch):
    make_user("old@example.com")
    monkeypatch.undo()
    assert audit_chain.prune(db.engine, 30) == {"requests": 0, "changes": 0}  # none sealed
    audit_chain.seal(db.engine)
    deleted = audit_chain.prune(db.engine, 30)
    assert deleted["changes"] >= 1 and deleted["requests"] >= 1
    assert audit_verify.verify(db.engine) == []


def test_prune_refuses_a_chain_that_does_not_verify(trail, runner, sql, count):
    sql("DELETE FROM change_records WHERE id = 2")
    before = count(ChangeRecord)
    result = runner.invoke(args=["audit", "prune", "--days", "1"])
    assert result.exit_code != 0 and "does not verify" in result.output
    assert count(ChangeRecord) == before


def test_content_hashes_survive_the_database_round_trip(scim, make_user, rows):
    make_user("x@example.com", name={"givenName": "Ünïcode", "familyName": "O'Brien"},
              title="1e20", nickName="1.0")
    for model, chain in ((RequestLog, "requests"), (ChangeRecord, "changes")):
        for record in rows(model):
            fields = {c.name: getattr(record, c.name) for c in model.__table__.columns}
            assert audit_chain.content_hash(chain, fields) == record.content_hash


def test_canonical_json_treats_integral_floats_as_integers():
    base = {"at": utcnow(), "actor_kind": "cli", "actor": "a", "action": "x"}
    assert audit_chain.content_hash("changes", {**base, "changes": {"n": [1.0, 1e20]}}) == \
        audit_chain.content_hash("changes", {**base, "changes": {"n": [1, 10**20]}})


def test_only_one_sealer_runs_at_a_time_on_postgresql(trail, make_user):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's")
    make_user("pending@example.com")
    with db.engine.connect() as other:
        other.execute(text("SELECT pg_advisory_lock(:k)"), {"k": audit_chain.LOCK_KEY})
        assert audit_chain.seal(db.engine) is None
        other.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": audit_chain.LOCK_KEY})
        other.commit()
    assert audit_chain.seal(db.engine)["changes"] == 1


def test_writers_and_sealers_at_once_leave_one_intact_chain(app):
    """Writers never wait for the chain; sealers running together never fork it."""

    def write(n):
        with app.app_context():
            for i in range(10):
                audit.log_event(CLI, "test.write", Target("Test", f"{n}-{i}", None))

    def seal():
        with app.app_context():
            for _ in range(10):
                audit_chain.seal(db.engine, wait=True)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(3)]
    threads += [threading.Thread(target=seal) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    audit_chain.seal(db.engine)
    assert audit_verify.verify(db.engine) == []
    db.session.rollback()
    seqs = db.session.execute(select(ChangeRecord.seq).order_by(ChangeRecord.seq)).scalars()
    assert list(seqs) == list(range(1, 31))
