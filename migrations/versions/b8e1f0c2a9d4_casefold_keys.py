"""Matching keys: NFKC + casefold copies of userName, group displayName and multi-valued values

Revision ID: b8e1f0c2a9d4
Revises: 5b8e1f3c2a90
Create Date: 2026-12-06 06:10:00

SQL lower() folds ASCII only on SQLite and follows the collation on PostgreSQL, so
"Ørjan@x.no" and "ørjan@x.no" could both be stored. The keys are computed in Python
(scim/casefold.py) and the unique indexes move to them. Rows whose keys collide are
reported, never merged: the upgrade stops and names them, for an admin to resolve.
"""
import unicodedata

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'b8e1f0c2a9d4'
down_revision = '5b8e1f3c2a90'
branch_labels = None
depends_on = None

BATCH = 1000


def _key(text):
    """scim/casefold.py's key() as of this revision (a migration must not change later)."""
    if not isinstance(text, str):
        return None
    return unicodedata.normalize('NFKC', unicodedata.normalize('NFKC', text).casefold())


def upgrade():
    op.add_column('users', sa.Column('user_name_key', sa.String(length=1024), nullable=True))
    op.add_column('groups', sa.Column('display_name_key', sa.String(length=1024), nullable=True))
    op.add_column('user_values', sa.Column('value_key', sa.String(length=8192), nullable=True))
    conn = op.get_bind()
    _fill(conn, 'users', 'user_name', 'user_name_key', unique=True)
    _fill(conn, 'groups', 'display_name', 'display_name_key', unique=True)
    _fill(conn, 'user_values', 'value', 'value_key', unique=False)
    op.drop_index('ux_users_user_name', table_name='users')
    op.create_index('ux_users_user_name_key', 'users', ['user_name_key'], unique=True)
    op.drop_index('ux_groups_display_name', table_name='groups')
    op.create_index('ux_groups_display_name_key', 'groups', ['display_name_key'], unique=True)
    op.drop_index('ix_user_values_attr_value', table_name='user_values')
    op.create_index('ix_user_values_attr_value_key', 'user_values', ['attr', 'value_key'],
                    unique=False)


def _fill(conn, table, source, target, unique):
    """Write each row's key; for a unique key, first refuse rows that would share one."""
    t = sa.table(table, sa.column('id'), sa.column(source), sa.column(target))
    keys = {row.id: _key(row[1]) for row in conn.execute(sa.select(t.c.id, t.c[source]))}
    if unique:
        _refuse_collisions(conn, table, source, t, keys)
    update = t.update().where(t.c.id == sa.bindparam('row_id')).values(
        {target: sa.bindparam('row_key')})
    rows = [{'row_id': i, 'row_key': k} for i, k in keys.items() if k is not None]
    for start in range(0, len(rows), BATCH):
        conn.execute(update, rows[start:start + BATCH])


def _refuse_collisions(conn, table, source, t, keys):
    by_key = {}
    for row_id, key in keys.items():
        by_key.setdefault(key, []).append(row_id)
    clashes = {k: ids for k, ids in by_key.items() if k is not None and len(ids) > 1}
    if not clashes:
        return
    names = dict(conn.execute(sa.select(t.c.id, t.c[source])).all())
    lines = [', '.join(f'{row_id} ({names[row_id]!r})' for row_id in ids)
             for ids in clashes.values()]
    raise RuntimeError(
        f'{table}.{source}: {len(clashes)} set(s) of rows differ only in case or Unicode form '
        'and would share one matching key; rename or delete all but one of each, then '
        'upgrade again:\n  ' + '\n  '.join(lines))


def downgrade():
    op.drop_index('ix_user_values_attr_value_key', table_name='user_values')
    op.create_index('ix_user_values_attr_value', 'user_values',
                    ['attr', sa.literal_column('lower(value)')], unique=False)
    op.drop_index('ux_groups_display_name_key', table_name='groups')
    op.create_index('ux_groups_display_name', 'groups',
                    [sa.literal_column('lower(display_name)')], unique=True)
    op.drop_index('ux_users_user_name_key', table_name='users')
    op.create_index('ux_users_user_name', 'users', [sa.literal_column('lower(user_name)')],
                    unique=True)
    op.drop_column('user_values', 'value_key')
    op.drop_column('groups', 'display_name_key')
    op.drop_column('users', 'user_name_key')
