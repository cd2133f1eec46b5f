"""distributions.conflicts_stale: events arrived since the conflicts were last looked for

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 15:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('distributions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('conflicts_stale', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index(
            'ix_distributions_conflicts_stale',
            ['conflicts_stale'],
            unique=False,
            postgresql_where=sa.text('conflicts_stale'),
            sqlite_where=sa.text('conflicts_stale'),
        )


def downgrade():
    with op.batch_alter_table('distributions', schema=None) as batch_op:
        batch_op.drop_index('ix_distributions_conflicts_stale', postgresql_where=sa.text('conflicts_stale'), sqlite_where=sa.text('conflicts_stale'))
        batch_op.drop_column('conflicts_stale')
