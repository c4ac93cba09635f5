"""/metrics: who may read it, and what it says after real SCIM traffic."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from services.ops import metrics
from tests.ops.conftest import OKTA
from tests.ops.conftest import Provisioner


@pytest.fixture(autouse=True)
def fresh_state():
    metrics.forget()
    yield
    metrics.forget()


def samples(response) -> dict:
    out = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


# Header values travel as Latin-1 in WSGI; the token's UTF-8 bytes arrive as they are sent.
AUTH = {"Authorization": "Bearer metrics-sëcret-1".encode().decode("latin-1")}


@pytest.fixture
def app_config():
    return {"METRICS_TOKEN": "metrics-sëcret-1"}


def test_metrics_need_the_metrics_token(client, entra):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    # A SCIM token is not a metrics token.
    assert client.get("/metrics", headers={
        "Authorization": f"Bearer {entra.secret}"}).status_code == 401
    assert client.get("/metrics", headers=AUTH).status_code == 200


def test_a_generated_token_replaces_the_last_one(client, admin_client):
    html = admin_client.post("/admin/health/metrics-token").get_data(as_text=True)
    secret = html.split('id="metrics-token" class="copy-value">')[1].split("<")[0]
    assert secret.startswith("rcmetrics_")
    assert client.get("/metrics", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    admin_client.post("/admin/health/metrics-token")
    assert client.get("/metrics", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert secret not in admin_client.get("/admin/health/alerts").get_data(as_text=True)


@pytest.mark.parametrize("allow, address, status", [
    ("10.0.0.0/8, 192.168.1.5", "10.20.30.40", 200),
    ("10.0.0.0/8, 192.168.1.5", "192.168.1.5", 200),
    ("10.0.0.0/8", "11.0.0.1", 401),
    ("fd00::/8", "fd12::1", 200),
    ("not-a-network", "10.0.0.1", 401),
])
def test_allowed_addresses(app, client, allow, address, status):
    app.config["METRICS_ALLOW"] = allow
    r = client.get("/metrics", environ_base={"REMOTE_ADDR": address})
    assert r.status_code == status


def test_what_the_metrics_say(clock, client, entra, issue):
    entra.cycle(clock, users=["zoë@example.com", "İlkay@example.com"], fail=1)
    Provisioner(client, issue("okta-test"), OKTA).call("GET", "Groups")
    clock.advance(minutes=3)
    s = samples(client.get("/metrics", headers=AUTH))
    assert s[("rollcall_scim_requests_total", (("client", "entra"), ("directory", "default"),
                                               ("method", "POST"), ("resource", "User"),
                                               ("status_class", "2xx")))] >= 2
    assert s[("rollcall_scim_requests_total", (("client", "entra"), ("directory", "default"),
                                               ("method", "GET"), ("resource", "User"),
                                               ("status_class", "4xx")))] >= 1
    assert s[("rollcall_scim_requests_total", (("client", "okta"), ("directory", "default"),
                                               ("method", "GET"), ("resource", "Group"),
                                               ("status_class", "2xx")))] >= 1
    assert s[("rollcall_scim_request_duration_seconds_count",
              (("method", "POST"), ("resource", "User")))] >= 2
    assert s[("rollcall_users", (("directory", "default"), ("state", "active")))] == 2
    assert s[("rollcall_groups", (("directory", "default"),))] == 0
    assert s[("rollcall_token_expiry_days", (("directory", "default"),
                                             ("token", "entra-prod")))] == pytest.approx(
        90 - 3 / 1440, abs=0.01)
    assert s[("rollcall_seconds_since_last_cycle", (("client", "entra"),
                                                    ("token", "entra-prod")))] == 180
    assert ("rollcall_request_log_queue_depth", ()) in s
    assert s[("rollcall_request_log_lost_rows", ())] == 0


def test_lost_rows_show_in_the_metrics(client, monkeypatch):
    from services.audit import requestlog

    monkeypatch.setattr(requestlog, "lost_count", lambda: 7)
    s = samples(client.get("/metrics", headers=AUTH))
    assert s[("rollcall_request_log_lost_rows", ())] == 7


WORKER = """
import sys
from app import create_app
from models import db
app = create_app({"TESTING": True, "SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": sys.argv[1],
                  "REQUEST_LOG_ASYNC": False, "RATELIMIT_ENABLED": False,
                  "METRICS_TOKEN": "m"})
with app.app_context():
    db.create_all()
client = app.test_client()
for _ in range(int(sys.argv[2])):
    client.get("/scim/v2/Users", headers={"User-Agent": "Microsoft Azure AD SCIM Client"})
if sys.argv[3] == "scrape":
    print(client.get("/metrics", headers={"Authorization": "Bearer m"}).get_data(as_text=True))
"""


def test_counters_are_summed_over_worker_processes(tmp_path):
    """With PROMETHEUS_MULTIPROC_DIR (gunicorn.conf.py sets it), one scrape sees every worker."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom")}
    os.makedirs(env["PROMETHEUS_MULTIPROC_DIR"])
    url = f"sqlite:///{tmp_path}/w.sqlite"
    for count, action in ((3, "count"), (2, "scrape")):
        done = subprocess.run([sys.executable, "-c", WORKER, url, str(count), action], env=env,
                              capture_output=True, text=True, timeout=120, cwd=os.getcwd())
        assert done.returncode == 0, done.stderr
    families = {s.name: s for f in text_string_to_metric_families(done.stdout)
                for s in f.samples if s.labels.get("status_class") == "4xx"}
    assert families["rollcall_scim_requests_total"].value == 5  # 3 + 2, two processes
