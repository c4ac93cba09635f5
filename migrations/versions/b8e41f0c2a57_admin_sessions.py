"""admin_sessions (server-side sessions) and admin_users.disabled_at

Revision ID: b8e41f0c2a57
Revises: b5e1c0d7a9f2
Create Date: 2026-12-06 06:00:00

A session cookie is only valid while its row exists (docs/security.md, admin sessions).
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'b8e41f0c2a57'
down_revision = 'b5e1c0d7a9f2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('admin_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('disabled_at', sa.DateTime(), nullable=True))
    op.create_table(
        'admin_sessions',
        sa.Column('key_hash', sa.String(length=64), nullable=False),
        sa.Column('admin_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['admin_id'], ['admin_users.id'],
                                name=op.f('fk_admin_sessions_admin_id_admin_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('key_hash', name=op.f('pk_admin_sessions')),
    )
    op.create_index(op.f('ix_admin_sessions_admin_id'), 'admin_sessions', ['admin_id'],
                    unique=False)


def downgrade():
    op.drop_index(op.f('ix_admin_sessions_admin_id'), table_name='admin_sessions')
    op.drop_table('admin_sessions')
    with op.batch_alter_table('admin_users', schema=None) as batch_op:
        batch_op.drop_column('disabled_at')
