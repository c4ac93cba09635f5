"""Statement counts of /Bulk user creates: a run of creates costs the same whatever its length.

Counted as in test_query_counts: transaction control and the request-log row left out.
"""

import pytest

from models import db
from services import custom_fields
from services import rules
from services import settings
from tests.conftest import ADMIN
from tests.perf.test_query_counts import ENTERPRISE
from tests.perf.test_query_counts import at_most
from tests.perf.test_query_counts import counting
from tests.perf.test_query_counts import entra_user

BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"


@pytest.fixture(autouse=True)
def _steady_caches(monkeypatch):
    """Keep the per-second caches (settings, custom fields) warm for the whole test."""
    monkeypatch.setattr(settings, "_TTL", 3600.0)
    monkeypatch.setattr(custom_fields, "_TTL", 3600.0)


def creates(scim, first: int, count: int, manager: str | None = None):
    operations = [{"method": "POST", "path": "/Users", "bulkId": f"u{i}",
                   "data": entra_user(f"user{i:04d}@example.com")}
                  for i in range(first, first + count)]
    for operation in operations if manager else ():
        operation["data"][ENTERPRISE]["manager"] = {"value": manager}
    with counting() as found:
        response = scim.post("Bulk", {"schemas": [BULK], "Operations": operations})
    assert response.status_code == 200
    assert [op["status"] for op in response.get_json()["Operations"]] == ["201"] * count
    return found


def test_fifty_creates_cost_what_two_cost(scim):
    creates(scim, 0, 2)  # warms the caches
    two = creates(scim, 10, 2)
    fifty = creates(scim, 100, 50)
    assert len(fifty) == len(two), f"2 creates:\n{two}\n50 creates:\n{fifty}"
    # the taken userNames, INSERT users, INSERT their child rows, INSERT change records,
    # the events outbox, and one SELECT of the reports waiting for the employeeNumbers
    # the run brings (services/users/managers.py link_pending); on PostgreSQL also the
    # one lock of every employeeNumber (services/users/rules.py), under which it is read
    number_lock = db.engine.dialect.name == "postgresql"
    at_most(fifty, 6 + number_lock, "POST /Bulk with 50 creates")
    assert scim.get("Users").get_json()["totalResults"] == 54


def test_managers_and_the_seat_limit_cost_one_query_each(scim, make_user):
    rules.save({"seat_limit": 1000}, ADMIN)
    boss = make_user("boss@example.com")["id"]
    creates(scim, 0, 2, boss)
    fifty = creates(scim, 100, 50, boss)
    # ... plus the managers that exist, the active users' count and the outbox INSERT; on
    # PostgreSQL also the seat lock (services/users/rules.py), under which that count is taken.
    locks = 2 * (db.engine.dialect.name == "postgresql")  # the seats and the employeeNumbers
    # (+1: the reports waiting for the run's employeeNumbers, as above)
    at_most(fifty, 8 + locks, "POST /Bulk with 50 managed creates under a seat limit")
