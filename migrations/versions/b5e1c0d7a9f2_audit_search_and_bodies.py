"""Audit search by part of a name, lookup or path; SCIM write bodies on request-log rows

Revision ID: b5e1c0d7a9f2
Revises: 289089b6bf4a
Create Date: 2026-12-06 06:10:00

On PostgreSQL the search indexes are pg_trgm GIN indexes, which serve ILIKE '%part%'.
Where the extension cannot be created (not installed, or no privilege), the same names
hold text_pattern_ops B-trees, which serve prefixes only; services/audit/query.py checks
for pg_trgm and searches by prefix then. SQLite needs no new index: its prefix ranges use
the existing lower(resource_name) and (looked_up, id) indexes.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'b5e1c0d7a9f2'
down_revision = '289089b6bf4a'
branch_labels = None
depends_on = None

SEARCH = (("ix_change_records_resource_name_search", "change_records", "lower(resource_name)"),
          ("ix_request_log_looked_up_search", "request_log", "looked_up"),
          ("ix_request_log_path_search", "request_log", "path"))


def upgrade():
    with op.batch_alter_table('request_log') as batch:
        batch.add_column(sa.Column('request_body', sa.Text(), nullable=True))
        batch.add_column(sa.Column('response_body', sa.Text(), nullable=True))
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return
    method, ops = ('gin', 'gin_trgm_ops') if _trigram(bind) else ('btree', 'text_pattern_ops')
    for name, table, expression in SEARCH:
        op.execute(f'CREATE INDEX {name} ON {table} USING {method} ({expression} {ops})')


def _trigram(bind) -> bool:
    try:
        with bind.begin_nested():
            bind.exec_driver_sql('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        return True
    except Exception:  # not installed on the server, or no privilege to create it
        return False


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for name, _table, _expression in SEARCH:
            op.execute(f'DROP INDEX IF EXISTS {name}')
    with op.batch_alter_table('request_log') as batch:
        batch.drop_column('response_body')
        batch.drop_column('request_body')
