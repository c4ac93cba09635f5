"""With CSRF protection on (as in production), a directory's SCIM writes need no CSRF token."""

import pytest

from tests.conftest import user_body


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


def test_scim_writes_on_a_directorys_url_are_exempt_from_csrf(scim, other_scim):
    assert other_scim.post("Users", user_body("Ørjan")).status_code == 201
    assert scim.post("Users", user_body("Ørjan")).status_code == 201
