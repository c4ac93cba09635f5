"""Events name their directory: one receiver subscribed to all of them can tell them apart."""

from services import directories
from services import tokens
from services.actor import CLI
from services.context import in_directory
from tests.conftest import ScimClient
from tests.conftest import user_body
from tests.events.conftest import drain


def test_an_event_names_its_directory(client, receivers, subscribe, settings, make_user):
    receiver = receivers()
    subscribe(receiver.url)
    staging = directories.create("staging-ost", "Staging Øst", True, CLI)
    with in_directory(staging.id):
        _, secret = tokens.issue("staging-token", 30, CLI)
    created = ScimClient(client, secret).post("/scim/v2/staging-ost/Users",
                                              user_body("åse@example.no"))
    assert created.status_code == 201, created.get_json()
    default_user = make_user("åse@example.no")  # the same userName, the default directory
    drain(settings)
    data = {e["data"]["id"]: e["data"] for e in receiver.webhook_events()}
    staged = data[created.get_json()["id"]]
    assert staged["directory"] == "staging-ost"
    assert staged["uri"] == f"/staging-ost/Users/{staged['id']}"
    plain = data[default_user["id"]]
    assert plain["directory"] == "default" and plain["uri"] == f"/Users/{plain['id']}"
