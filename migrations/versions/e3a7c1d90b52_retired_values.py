"""users.retired_values: the values of retired custom fields, out of the SCIM document

Revision ID: e3a7c1d90b52
Revises: b8e1f0c2a9d4
Create Date: 2026-12-06 06:40:00

Values of fields retired before this revision are moved out of `data` here, as
services/shelf.py does on a retire, so no stored value can make a later write fail.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'e3a7c1d90b52'
down_revision = 'b8e1f0c2a9d4'
branch_labels = None
depends_on = None


ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade():
    op.add_column('users', sa.Column('retired_values', JSON, nullable=True))
    conn = op.get_bind()
    fields = sa.table('custom_fields', sa.column('name'), sa.column('retired_at'))
    retired = set(conn.execute(sa.select(fields.c.name).where(
        fields.c.retired_at.is_not(None))).scalars())
    if retired:
        _shelve(conn, retired)


def _shelve(conn, retired):
    users = sa.table('users', sa.column('id'), sa.column('data', JSON),
                     sa.column('retired_values', JSON), sa.column('version'))
    for row in conn.execute(sa.select(users.c.id, users.c.data, users.c.version)).all():
        data, kept = dict(row.data), {}
        for key, extension in row.data.items():
            # The custom extension is the only one besides the enterprise extension.
            if key.startswith('urn:') and key != ENTERPRISE and isinstance(extension, dict):
                kept.update({k: v for k, v in extension.items() if k in retired})
                rest = {k: v for k, v in extension.items() if k not in retired}
                data.pop(key)
                if rest:
                    data[key] = rest
        if kept:
            conn.execute(users.update().where(users.c.id == row.id).values(
                data=data, retired_values=kept, version=row.version + 1))


def downgrade():
    op.drop_column('users', 'retired_values')
