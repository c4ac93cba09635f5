"""users.manager_id and users.manager_ref: partial indexes (rows WHERE NOT NULL)

Revision ID: b8f3d1a6c2e4
Revises: a1d3c5e7f9b2
Create Date: 2026-12-06 11:50:00

Both columns are NULL in most rows. Once ANALYZE has run, a full index of such a column
is rated useless (every row files under NULL) and SQLite read the whole users table on
each create, for the reports waiting for its employeeNumber, and on each DELETE, for the
leaver's reports. A partial index holds only the rows that name a manager, and every
lookup by a value implies NOT NULL (tests/perf/test_query_plans.py).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b8f3d1a6c2e4'
down_revision = 'a1d3c5e7f9b2'
branch_labels = None
depends_on = None

COLUMNS = ("manager_id", "manager_ref")


def upgrade():
    for column in COLUMNS:
        where = sa.text(f"{column} IS NOT NULL")
        op.drop_index(f"ix_users_{column}", table_name="users")
        op.create_index(f"ix_users_{column}", "users", [column], unique=False,
                        sqlite_where=where, postgresql_where=where)


def downgrade():
    for column in COLUMNS:
        op.drop_index(f"ix_users_{column}", table_name="users")
        op.create_index(f"ix_users_{column}", "users", [column], unique=False)
