"""Custom dateTime values stored in UTC, as writes now store them

Revision ID: f5c2d8e14a07
Revises: e3a7c1d90b52
Create Date: 2026-12-06 07:05:00

Filters compare dateTimes as instants either way; normalising the stored text keeps what
GET returns the same for old and new values, and reads an offset-less value as UTC on
PostgreSQL too (a cast would read it in the session's time zone).
"""
from datetime import UTC
from datetime import datetime

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'f5c2d8e14a07'
down_revision = 'e3a7c1d90b52'
branch_labels = None
depends_on = None

ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def _utc(text):
    """scim/resource.py's utc_datetime() as of this revision; other values pass unchanged."""
    if not isinstance(text, str):
        return text
    try:
        moment = datetime.fromisoformat(text.upper().replace('Z', '+00:00'))
    except ValueError:
        return text
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    spec = 'seconds' if not moment.microsecond else (
        'milliseconds' if moment.microsecond % 1000 == 0 else 'microseconds')
    return moment.replace(tzinfo=None).isoformat(timespec=spec) + 'Z'


def upgrade():
    conn = op.get_bind()
    fields = sa.table('custom_fields', sa.column('name'), sa.column('type'))
    names = set(conn.execute(sa.select(fields.c.name).where(fields.c.type == 'dateTime'))
                .scalars())
    if names:
        _users(conn, names)
        _values(conn, names)


def _users(conn, names):
    users = sa.table('users', sa.column('id'), sa.column('data', JSON))
    for row in conn.execute(sa.select(users.c.id, users.c.data)).all():
        data = _normalised(row.data, names)
        if data != row.data:
            conn.execute(users.update().where(users.c.id == row.id).values(data=data))


def _normalised(data, names):
    out = dict(data)
    for key, extension in data.items():
        if key.startswith('urn:') and key != ENTERPRISE and isinstance(extension, dict):
            out[key] = {k: ([_utc(i) for i in v] if isinstance(v, list) else _utc(v))
                        if k in names else v for k, v in extension.items()}
    return out


def _values(conn, names):
    values = sa.table('user_values', sa.column('id'), sa.column('attr'), sa.column('value'),
                      sa.column('value_key'))
    rows = conn.execute(sa.select(values.c.id, values.c.attr, values.c.value).where(
        values.c.attr.like('urn:%'))).all()
    for row in rows:
        name = row.attr.rpartition(':')[2]
        if name in names and not row.attr.startswith(ENTERPRISE + ':'):
            fixed = _utc(row.value)
            if fixed != row.value:
                conn.execute(values.update().where(values.c.id == row.id).values(
                    value=fixed, value_key=fixed.casefold()))


def downgrade():
    pass  # the UTC text names the same instants
