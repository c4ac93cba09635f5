"""The request log's background writer: rows reach the database without blocking requests."""

import pytest
from sqlalchemy import func
from sqlalchemy import select

from models import ApiToken
from models import RequestLog
from models import db
from services.audit import requestlog


@pytest.fixture
def app_config():
    return {"REQUEST_LOG_ASYNC": True}


def test_async_writer_records_every_request_and_last_use(app, scim):
    for _ in range(25):
        assert scim.get("Users").status_code == 200
    assert scim.get("Nope").status_code == 404
    requestlog.writer_for(app).flush()
    count = db.session.execute(select(func.count()).select_from(RequestLog)).scalar()
    assert count == 26
    statuses = db.session.execute(select(RequestLog.status).order_by(RequestLog.id)).scalars()
    assert list(statuses)[-1] == 404
    assert db.session.execute(select(ApiToken.last_used_at)).scalar() is not None


def test_rows_name_the_token_never_the_secret(app, scim, token):
    scim.get("Users?filter=userName eq \"x\"")
    requestlog.writer_for(app).flush()
    row = db.session.execute(select(RequestLog)).scalar_one()
    assert row.token_name == "test-token"
    assert token.startswith(row.token_prefix)
    assert token not in repr(row.__dict__)
    assert row.path.startswith("/scim/v2/Users?filter=userName")
    assert row.method == "GET" and row.status == 200
