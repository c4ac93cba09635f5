"""group_members.member_group_id: a partial index, nested groups only

Revision ID: 7c2e5a9d41b3
Revises: d4133c8b0f32
Create Date: 2026-11-24 00:45:00

The full index filed every user membership under NULL; with planner statistics both
databases then judged it useless and scanned all memberships to find a user's nested
groups (docs/performance.md).
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '7c2e5a9d41b3'
down_revision = 'd4133c8b0f32'
branch_labels = None
depends_on = None

NESTED = sa.text('member_group_id IS NOT NULL')


def upgrade():
    op.drop_index('ix_group_members_member_group_id', table_name='group_members')
    op.create_index('ix_group_members_member_group_id', 'group_members', ['member_group_id'],
                    unique=False, sqlite_where=NESTED, postgresql_where=NESTED)


def downgrade():
    op.drop_index('ix_group_members_member_group_id', table_name='group_members')
    op.create_index('ix_group_members_member_group_id', 'group_members', ['member_group_id'],
                    unique=False)
