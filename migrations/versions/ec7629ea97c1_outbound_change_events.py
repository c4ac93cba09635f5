"""outbound change events: outbox, subscriptions, deliveries, signing key, delivery lease

Revision ID: ec7629ea97c1
Revises: f5c2d8e14a07
Create Date: 2026-12-06 06:22:28

See models/event.py and docs/events.md.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'ec7629ea97c1'
down_revision = 'f5c2d8e14a07'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('event_keys',
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('alg', sa.String(length=8), nullable=False),
    sa.Column('private_encrypted', sa.Text(), nullable=False),
    sa.Column('public_jwk', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('slot', sa.String(length=16), nullable=True),
    sa.PrimaryKeyConstraint('kid', name=op.f('pk_event_keys')),
    sa.UniqueConstraint('slot', name=op.f('uq_event_keys_slot'))
    )
    op.create_table('event_leases',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('holder', sa.String(length=100), nullable=True),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_event_leases'))
    )
    op.create_table('event_subscriptions',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=True),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('url', sa.String(length=2048), nullable=True),
    sa.Column('format', sa.String(length=24), nullable=False),
    sa.Column('event_filter', sa.String(length=500), nullable=True),
    sa.Column('paused', sa.Boolean(), nullable=False),
    sa.Column('secret_encrypted', sa.Text(), nullable=True),
    sa.Column('poll_token_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=220), nullable=True),
    sa.Column('start_position', sa.BigInteger(), nullable=False),
    sa.Column('retry_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_subscriptions')),
    sa.UniqueConstraint('poll_token_hash', name=op.f('uq_event_subscriptions_poll_token_hash'))
    )
    op.create_table('events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('position', sa.BigInteger(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('request_id', sa.String(length=36), nullable=True),
    sa.Column('actor', sa.String(length=220), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('event_type', sa.String(length=16), nullable=False),
    sa.Column('resource_type', sa.String(length=32), nullable=False),
    sa.Column('resource_id', sa.String(length=64), nullable=True),
    sa.Column('resource_name', sa.String(length=512), nullable=True),
    sa.Column('changes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events')),
    sa.UniqueConstraint('event_id', name=op.f('uq_events_event_id'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_at', ['at'], unique=False)
        batch_op.create_index('ux_events_position', ['position'], unique=True)

    op.create_table('event_deliveries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('subscription_id', sa.String(length=36), nullable=False),
    sa.Column('position', sa.BigInteger(), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('resource_key', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('next_at', sa.DateTime(), nullable=False),
    sa.Column('last_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.Column('latency_ms', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['subscription_id'], ['event_subscriptions.id'], name=op.f('fk_event_deliveries_subscription_id_event_subscriptions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_deliveries'))
    )
    with op.batch_alter_table('event_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_event_deliveries_log', ['subscription_id', 'position'], unique=False)
        batch_op.create_index('ix_event_deliveries_queue', ['subscription_id', 'status', 'position'], unique=False)



def downgrade():
    with op.batch_alter_table('event_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_event_deliveries_queue')
        batch_op.drop_index('ix_event_deliveries_log')

    op.drop_table('event_deliveries')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ux_events_position')
        batch_op.drop_index('ix_events_at')

    op.drop_table('events')
    op.drop_table('event_subscriptions')
    op.drop_table('event_leases')
    op.drop_table('event_keys')
