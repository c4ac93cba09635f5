"""Fixtures for several directories: a second directory with its own token and client."""

import pytest

from services import directories
from services import tokens
from services.context import in_directory
from tests.conftest import ADMIN
from tests.conftest import ScimClient


@pytest.fixture
def other(app):
    """A second directory, "østfold" by name, at /scim/v2/ostfold."""
    return directories.create("ostfold", "Østfold", False, ADMIN)


@pytest.fixture
def other_token(other):
    with in_directory(other.id):
        _, secret = tokens.issue("ostfold-token", 90, ADMIN)
    return secret


class DirectoryClient(ScimClient):
    """A ScimClient whose relative paths go to /scim/v2/<slug>/..."""

    def __init__(self, client, secret, slug):
        super().__init__(client, secret)
        self.slug = slug

    def _call(self, method, path, json=None, headers=None, **kw):
        if not path.startswith("/"):
            path = f"/scim/v2/{self.slug}/{path}"
        return super()._call(method, path, json, headers, **kw)


@pytest.fixture
def other_scim(client, other, other_token):
    """A SCIM client of the second directory, on its own Tenant URL."""
    return DirectoryClient(client, other_token, other.slug)
