"""Every statement a SCIM workload sends over a directory's tables names the directory.

The isolation tests check answers; this one checks the SQL itself, so a new query that
forgets the directory fails here even before two directories happen to collide in it.
"""

import re

import pytest
from sqlalchemy import event

from models import db
from tests.conftest import user_body

SCOPED = re.compile(r"\b(?:FROM|JOIN|UPDATE|INTO)\s+\"?(users|user_values|groups|api_tokens|"
                    r"custom_fields|change_records)\b", re.I)
# What may name no directory: the unit of work's writes of one row it loaded (scoped),
# by primary key; memberships read by the ids of users or groups read in the directory;
# and the audit chain's sealing, which spans every directory by design.
EXEMPT = (
    re.compile(r"^(UPDATE \w+ SET .* |DELETE FROM \w+ )WHERE \w+\.id = "
               r"(\?|%\(\w+\)s(::\w+)?)$", re.S),
    re.compile(r"FROM group_members (LEFT OUTER JOIN users ON users\.id = group_members\.user_id )?"
               r"WHERE group_members\.(user_id|group_id) IN \("),
    re.compile(r"^(SELECT [\w.,() ]+ FROM (change_records|request_log) WHERE \w+\.seq IS NULL"
               r"|UPDATE (change_records|request_log) SET seq=)"),
)
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.fixture
def unscoped():
    """The statements over scoped tables that do not mention directory_id."""
    found = []

    def check(_conn, _cursor, statement, *_args):
        text = " ".join(statement.split())
        if SCOPED.search(text) and "directory_id" not in text and not any(
                e.search(text) for e in EXEMPT):
            found.append(text)

    event.listen(db.engine, "before_cursor_execute", check)
    yield found
    event.remove(db.engine, "before_cursor_execute", check)


def test_an_entra_cycle_in_a_second_directory_names_it_in_every_statement(other_scim, unscoped):
    s = other_scim
    ids = []
    for name in ("Ørjan@x.no", "İlkay@x.no", "ßtefan@x.no"):
        assert s.get(f'Users?filter=userName eq "{name}"').get_json()["totalResults"] == 0
        ids.append(s.post("Users", user_body(name, externalId=name[:3])).get_json()["id"])
    group = s.post("Groups", {"schemas": [GROUP], "displayName": "Ｏｐｓ"}).get_json()["id"]
    s.get('Groups?filter=displayName eq "Ｏｐｓ"&excludedAttributes=members')
    s.patch(f"Groups/{group}", {"schemas": [PATCH], "Operations": [
        {"op": "add", "path": "members", "value": [{"value": i} for i in ids]}]})
    s.patch(f"Groups/{group}", {"schemas": [PATCH], "Operations": [
        {"op": "remove", "path": f'members[value eq "{ids[0]}"]'}]})
    s.patch(f"Users/{ids[1]}", {"schemas": [PATCH], "Operations": [
        {"op": "replace", "path": "active", "value": False}]})
    s.put(f"Users/{ids[2]}", user_body("ßtefan@x.no", displayName="Stefan"))
    s.get('Users?filter=emails[type eq "work"].value co "x.no"&sortBy=displayName&startIndex=2')
    s.get("Users?count=1&cursor=")
    s.post(".search", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                       "filter": 'externalId eq "Ørj"'})
    bulk = s.post("Bulk", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                           "Operations": [{"method": "POST", "path": "/Users", "bulkId": "a",
                                           "data": user_body("Émile@x.no")}]})
    assert bulk.get_json()["Operations"][0]["status"] == "201"
    assert "/scim/v2/ostfold/Users/" in bulk.get_json()["Operations"][0]["location"]
    searched = s.post("Users/.search", {"schemas": [
        "urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": 'userName sw "É"'})
    assert searched.get_json()["totalResults"] == 1
    s.get(f"Users/{ids[0]}")
    s.get(f"Groups/{group}")
    s.get("Schemas")
    s.delete(f"Users/{ids[0]}")
    s.delete(f"Groups/{group}")
    assert unscoped == []
