"""Alert channel secrets are sealed (services/sealed.py): room for the Fernet token.

A secret of up to 500 characters seals to about 900; the column becomes text. Secrets an
earlier version stored in clear are sealed the first time they are used
(services/ops/channels.py): the migration does not know SECRET_KEY.

Revision ID: a41c7e2d9b63
Revises: ec7629ea97c1
"""

import sqlalchemy as sa
from alembic import op

revision = "a41c7e2d9b63"
down_revision = "ec7629ea97c1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("ops_channels") as batch:
        batch.alter_column("secret", type_=sa.Text(), existing_type=sa.String(500))


def downgrade():
    with op.batch_alter_table("ops_channels") as batch:
        batch.alter_column("secret", type_=sa.String(500), existing_type=sa.Text())
