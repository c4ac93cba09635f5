"""Provisioning health: cycles from real SCIM traffic on a controlled clock, every state."""

from datetime import datetime
from datetime import timedelta

import pytest

from models import RequestLog
from models import db
from services import tokens
from services.ops import board as ops_board
from services.ops import clients
from services.ops import config as ops_config
from services.ops import health
from services.ops.cycles import Connection
from services.ops.cycles import Cycle
from tests.conftest import ADMIN
from tests.ops.conftest import ENTRA
from tests.ops.conftest import OKTA
from tests.ops.conftest import Provisioner

CFG = ops_config.OpsConfig()


def board(clock):
    snap = ops_board.snapshot(clock(), CFG)
    return {h.connection: h for h in snap.connections}


def entra_health(clock, token="entra-prod"):
    return board(clock)[Connection(token, "entra")]


@pytest.mark.parametrize("agent, family", [
    (ENTRA, "entra"), ("Microsoft.Identity.Provisioning/1.0", "entra"), ("AzureAD", "entra"),
    (OKTA, "okta"), ("curl/8.5.0", "other"), ("", "other"), (None, "other"),
])
def test_client_family_from_the_user_agent(agent, family):
    assert clients.family(agent) == family


def test_cycles_are_split_by_the_gap_and_counted(clock, entra):
    entra.cycle(clock, users=["zoë@example.com", "İlkay@example.com"])
    clock.advance(minutes=40)
    entra.cycle(clock, users=["søren@example.com"], fail=1)
    clock.advance(minutes=1)
    h = entra_health(clock)
    assert len(h.cycles) == 2
    first, second = h.cycles
    assert (first.requests, first.creates, first.failures) == (3, 2, 0)
    assert (second.requests, second.creates, second.failures) == (3, 1, 1)
    assert second.failure_ratio == pytest.approx(1 / 3)
    assert first.duration == timedelta(seconds=10)
    assert h.next_due == second.start + timedelta(minutes=40)


def test_healthy_then_overdue_then_quiet(clock, entra):
    entra.cycle(clock, users=["ann@example.com"])
    clock.advance(minutes=5)
    h = entra_health(clock)
    assert h.state == "healthy" and h.reasons == ["The last cycle ran without failures."]
    clock.advance(minutes=80)  # 85 minutes of silence: past the 80-minute default
    h = entra_health(clock)
    assert h.state == "degraded" and "overdue" in h.reasons[0]
    clock.advance(hours=6)
    h = entra_health(clock)
    assert h.state == "at_risk" and "stopped or quarantined" in h.reasons[0]


def test_failures_degrade_then_put_at_risk(clock, entra):
    entra.cycle(clock, users=[f"u{i}@example.com" for i in range(9)], fail=1)  # 1 of 11
    h = entra_health(clock)
    assert h.state == "degraded" and "1 of 11 requests" in h.reasons[0]
    clock.advance(minutes=40)
    entra.cycle(clock, users=["x@example.com"], fail=3)  # 3 of 5
    h = entra_health(clock)
    assert h.state == "at_risk" and "60%" in h.reasons[0]


def test_an_expired_token_probably_quarantines_and_names_the_token(clock, client, issue):
    entra = Provisioner(client, issue("entra-prod", days=1), ENTRA)
    entra.cycle(clock, users=["ann@example.com"])
    clock.advance(days=1, minutes=1)
    entra.cycle(clock)
    h = entra_health(clock)
    assert h.state == "quarantined"
    assert "refused" in h.reasons[0]
    assert h.next_due == h.quarantined_since + timedelta(hours=6)
    row = db.session.execute(db.select(RequestLog).order_by(RequestLog.id.desc())).scalars().first()
    assert (row.status, row.token_name) == (401, "entra-prod")
    assert "expired" in row.error and row.token_prefix.startswith("rcscim_")
    # Entra's retries: 6 h, 12 h, 24 h, then daily.
    clock.advance(hours=7)
    assert entra_health(clock).next_due == h.quarantined_since + timedelta(hours=12)
    clock.advance(hours=30)
    assert entra_health(clock).next_due == h.quarantined_since + timedelta(hours=48)
    clock.advance(days=28)
    assert "28 days" in entra_health(clock).reasons[-1]


def test_a_new_token_brings_the_connection_back(clock, client, issue):
    old = Provisioner(client, issue("entra-prod"), ENTRA)
    old.cycle(clock)
    tokens.revoke("entra-prod", ADMIN)
    clock.advance(minutes=40)
    old.cycle(clock)
    assert entra_health(clock).state == "quarantined"
    new = Provisioner(client, issue("entra-2026"), ENTRA)
    clock.advance(minutes=40)
    new.cycle(clock, users=["ann@example.com"])
    assert entra_health(clock, "entra-2026").state == "healthy"
    # Entra moved to the new token: the revoked one's refusals are history.
    assert Connection("entra-prod", "entra") not in board(clock)


def test_a_rotation_leaves_no_stale_connection(clock, client, issue):
    old = Provisioner(client, issue("entra-prod"), ENTRA)
    old.cycle(clock)
    new = Provisioner(client, issue("entra-2026"), ENTRA)
    clock.advance(minutes=40)
    new.cycle(clock)
    tokens.revoke("entra-prod", ADMIN)
    clock.advance(hours=7)
    new.cycle(clock)
    assert set(board(clock)) == {Connection("entra-2026", "entra")}


def test_refusals_followed_by_success_are_a_risk(clock, client, entra):
    entra.cycle(clock)
    Provisioner(client, "rcscim_wrong", ENTRA).call("GET", "Users")
    entra.call("GET", "Users")
    h = board(clock)
    assert h[Connection("entra-prod", "entra")].state == "healthy"
    unknown = h[Connection(None, "entra")]
    assert unknown.state == "quarantined" and unknown.connection.label.endswith("unknown token")


def test_connections_are_per_token_and_client(clock, client, entra, issue):
    okta = Provisioner(client, issue("okta-test"), OKTA)
    entra.cycle(clock)
    okta.cycle(clock, fail=2)
    client.get("/scim/v2/Users", headers={"User-Agent": "curl/8"})  # no token: left out
    b = board(clock)
    assert set(b) == {Connection("entra-prod", "entra"), Connection("okta-test", "okta")}
    assert b[Connection("entra-prod", "entra")].state == "healthy"


def _cycle(requests, failures, references=0, refused=0, not_found=0):
    c = Cycle(start=datetime(2026, 1, 1), end=datetime(2026, 1, 1, 0, 5), first_id=1, last_id=2)
    c.requests, c.failures, c.reference_requests = requests, failures, references
    c.reference_failures, c.refused, c.filter_not_found = references, refused, not_found
    c.last_status = 200
    return c


@pytest.mark.parametrize("cycle, state", [
    (_cycle(12000, 5000), "quarantined"),        # from 5,000 failures, over 40%
    (_cycle(8000, 4999), "at_risk"),             # over 40%, but too few for Entra to judge
    (_cycle(120000, 20000), "degraded"),         # 20,000 of 120,000: under 40%
    (_cycle(200000, 41000), "quarantined"),      # over 40,000 non-reference failures
    (_cycle(300000, 61000, references=30000), "quarantined"),  # over 60,000 of any kind
    (_cycle(10, 0, not_found=0), "healthy"),
    (_cycle(10, 1, not_found=1), "at_risk"),     # a 404 on a filter query
])
def test_entra_thresholds(cycle, state):
    conn = Connection("t", "entra")
    h = health.assess(conn, [cycle], cycle.end, 200, cycle.end, CFG)
    assert h.state == state, h.reasons
