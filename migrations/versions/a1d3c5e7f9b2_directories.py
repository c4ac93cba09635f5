"""directories: a directories table, and every scoped row in the default directory

Revision ID: a1d3c5e7f9b2
Revises: c6d2e8f4a913
Create Date: 2026-12-06 08:50:00

Users, their values, groups, tokens and custom fields get a `directory_id` with a
foreign key; change records, the request log and events name their directory without
one (they outlive it). Every existing row lands in the default directory (id 1), and the
uniqueness and listing indexes lead with the directory. See models/directory.py.
"""
from datetime import UTC
from datetime import datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a1d3c5e7f9b2'
down_revision = 'c6d2e8f4a913'
branch_labels = None
depends_on = None

WITH_FOREIGN_KEY = ("users", "user_values", "groups", "api_tokens", "custom_fields")
WITHOUT = ("change_records", "request_log", "events")
# (table, index, old columns, new columns, unique)
INDEXES = (
    ("users", "ux_users_user_name_key", ["user_name_key"],
     ["directory_id", "user_name_key"], True),
    ("users", "ix_users_listing", ["hidden", "created", "id"],
     ["directory_id", "hidden", "created", "id"], False),
    ("user_values", "ix_user_values_attr_value_key", ["attr", "value_key"],
     ["directory_id", "attr", "value_key"], False),
    ("groups", "ux_groups_display_name_key", ["display_name_key"],
     ["directory_id", "display_name_key"], True),
    ("groups", "ix_groups_listing", ["created", "id"], ["directory_id", "created", "id"], False),
)


def _column():
    return sa.Column("directory_id", sa.Integer(), server_default="1", nullable=False)


def upgrade():
    directories = op.create_table(
        "directories",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("staging", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directories")),
        sa.UniqueConstraint("slug", name=op.f("uq_directories_slug")),
    )
    # The first row of a new table: id 1 on both databases.
    op.bulk_insert(directories, [{"slug": "default", "name": "Default", "staging": False,
                                  "created_at": datetime.now(UTC).replace(tzinfo=None)}])
    for table in WITH_FOREIGN_KEY + WITHOUT:
        op.add_column(table, _column())
    # SQLite adds a foreign key only by rebuilding the table, which would lose the
    # expression indexes that Alembic cannot reflect: there the column goes without one.
    if op.get_bind().dialect.name != "sqlite":
        for table in WITH_FOREIGN_KEY:
            op.create_foreign_key(op.f(f"fk_{table}_directory_id_directories"), table,
                                  "directories", ["directory_id"], ["id"])
    for table, name, _old, new, unique in INDEXES:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, new, unique=unique)
    with op.batch_alter_table("custom_fields") as batch_op:
        batch_op.drop_constraint("uq_custom_fields_name", type_="unique")
        batch_op.create_index("ux_custom_fields_directory_name", ["directory_id", "name"],
                              unique=True)
    op.create_index("ix_change_records_directory_id_id", "change_records", ["directory_id", "id"])
    op.create_index("ix_request_log_directory_id_id", "request_log", ["directory_id", "id"])


def downgrade():
    op.drop_index("ix_request_log_directory_id_id", table_name="request_log")
    op.drop_index("ix_change_records_directory_id_id", table_name="change_records")
    with op.batch_alter_table("custom_fields") as batch_op:
        batch_op.drop_index("ux_custom_fields_directory_name")
        batch_op.create_unique_constraint("uq_custom_fields_name", ["name"])
    for table, name, old, _new, unique in INDEXES:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, old, unique=unique)
    if op.get_bind().dialect.name != "sqlite":
        for table in WITH_FOREIGN_KEY:
            op.drop_constraint(op.f(f"fk_{table}_directory_id_directories"), table,
                               type_="foreignkey")
    for table in WITH_FOREIGN_KEY + WITHOUT:
        op.drop_column(table, "directory_id")  # SQLite 3.35+ drops a column in place
    op.drop_table("directories")
