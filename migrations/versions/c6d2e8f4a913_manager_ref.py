"""users.manager_ref: a manager reference kept pending until that user arrives

Revision ID: c6d2e8f4a913
Revises: a41c7e2d9b63
Create Date: 2026-12-06 08:45:00

A manager given by an employeeNumber that names no user yet (Entra's API-driven inbound
provisioning sends the HR number) is kept here, as sent, and linked when a user with
that employeeNumber is written (services/users/managers.py).
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'c6d2e8f4a913'
down_revision = 'a41c7e2d9b63'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('users', sa.Column('manager_ref', sa.String(length=512), nullable=True))
    op.create_index('ix_users_manager_ref', 'users', ['manager_ref'], unique=False)


def downgrade():
    op.drop_index('ix_users_manager_ref', table_name='users')
    op.drop_column('users', 'manager_ref')
