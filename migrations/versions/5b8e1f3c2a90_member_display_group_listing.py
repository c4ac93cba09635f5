"""group_members.display as the client wrote it; groups listed on (created, id)

Revision ID: 5b8e1f3c2a90
Revises: b8e41f0c2a57
Create Date: 2026-12-06 06:10:00

A member's `display` is returned only when the client stored one (RFC 7643 §4.2;
issue 18), so it is kept per membership. Cursor pages of /Groups seek on
(created, id), as /Users do on ix_users_listing.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '5b8e1f3c2a90'
down_revision = 'b8e41f0c2a57'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('group_members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('display', sa.String(length=512), nullable=True))
    op.create_index('ix_groups_listing', 'groups', ['created', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_groups_listing', table_name='groups')
    with op.batch_alter_table('group_members', schema=None) as batch_op:
        batch_op.drop_column('display')
