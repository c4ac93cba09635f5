"""Token truth: colours, the clients of each token, warnings that follow the tokens in use."""

import pytest

from services import tokens
from services.ops import config as ops_config
from services.ops import tokens as ops_tokens
from tests.admin.helpers import page
from tests.conftest import ADMIN
from tests.ops.conftest import ENTRA
from tests.ops.conftest import OKTA
from tests.ops.conftest import Provisioner

CFG = ops_config.OpsConfig()


@pytest.mark.parametrize("status, days, colour", [
    ("active", 90, "ok"), ("active", 15, "ok"), ("active", 14, "warning"),
    ("active", 4, "warning"), ("active", 3, "danger"), ("active", 0, "danger"),
    ("expired", 0, "danger"), ("revoked", 60, "muted"),
])
def test_colours(status, days, colour):
    assert ops_tokens.colour(status, days) == colour


def test_entra_on_a_short_token_is_red_even_with_a_long_one_valid(clock, client, issue,
                                                                  admin_client):
    Provisioner(client, issue("entra-old", days=3), ENTRA).cycle(clock)
    issue("entra-new", days=90)
    truth = ops_tokens.truth(clock(), CFG)
    assert truth.state == "danger"
    assert [v.name for v in truth.in_use] == ["entra-old"]
    html = page(admin_client.get("/admin/"))
    assert 'class="token-state state-danger"' in html
    assert "Expiring soon: token entra-old, in use by Microsoft Entra, expires in 3 days" in html
    assert "No valid token." not in html


def test_an_okta_request_does_not_move_the_entra_badge(clock, client, issue, admin_client):
    Provisioner(client, issue("entra-prod"), ENTRA).cycle(clock)
    clock.advance(minutes=1)
    Provisioner(client, issue("okta-test"), OKTA).call("GET", "Users")
    html = page(admin_client.get("/admin/tokens"))
    row = html.split("<th scope=\"row\">entra-prod")[1].split("</th>")[0]
    assert "in use by Entra" in row
    assert "in use by Entra" not in html.split("<th scope=\"row\">okta-test")[1].split("</th>")[0]


def test_a_revoked_token_is_never_in_use_and_its_401s_are_named(clock, client, issue,
                                                                admin_client):
    entra = Provisioner(client, issue("entra-prod"), ENTRA)
    entra.cycle(clock)
    tokens.revoke("entra-prod", ADMIN)
    entra.call("GET", "Users")
    truth = ops_tokens.truth(clock(), CFG)
    assert truth.in_use == []
    view = truth.view("entra-prod")
    assert view.refused_recently == 1
    assert any("still sends the revoked token entra-prod" in w.text for w in truth.warnings)
    html = page(admin_client.get("/admin/tokens"))
    assert "in use by Entra" not in html
    assert "1 refused" in html
    audit = page(admin_client.get("/admin/audit/?token=entra-prod&status=4"))
    assert "revoked" in audit


def test_clients_seen_per_token(clock, client, issue, admin_client):
    entra = Provisioner(client, issue("entra-prod"), ENTRA)
    entra.cycle(clock, users=["zoë@example.com"], fail=1)
    clock.advance(hours=1)
    (c,) = ops_tokens.truth(clock(), CFG).view("entra-prod").clients
    assert (c.family, c.last_address, c.requests, c.errors) == ("entra", "20.190.128.7", 3, 1)
    html = page(admin_client.get("/admin/tokens"))
    assert "20.190.128.7" in html and "Microsoft Entra" in html and "(33%)" in html
    clock.advance(hours=24)
    (c,) = ops_tokens.truth(clock(), CFG).view("entra-prod").clients
    assert (c.requests, c.last_address) == (0, "20.190.128.7")  # 24-hour counts roll off


def test_rotation_shows_first_and_last_use(clock, client, issue, admin_client):
    old = Provisioner(client, issue("entra-prod"), ENTRA)
    old.cycle(clock)
    last_old = clock()
    new = Provisioner(client, issue("entra-prod-rotated"), ENTRA)
    clock.advance(minutes=40)
    new.cycle(clock)
    token_id = next(t.id for t in tokens.all_tokens() if t.name == "entra-prod")
    html = page(admin_client.get(f"/admin/tokens/{token_id}/revoke"))
    assert f"was last used <time datetime=\"{last_old.isoformat()}Z\"" in html
    assert f"first used <time datetime=\"{clock().isoformat()}Z\"" in html
    assert "The client moved to the new token" in html
    assert "Entra is still using this token" not in html
