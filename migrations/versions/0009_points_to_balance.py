"""积分转储值 rate on the stored-value settings

Revision ID: 0009_points_to_balance
Revises: 0008_balance_discount
"""
from alembic import op
import sqlalchemy as sa

revision = '0009_points_to_balance'
down_revision = '0008_balance_discount'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('stored_value_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('points_per_yuan', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(batch_op.f('ck_stored_value_settings_points_rate_range'),
                                         'points_per_yuan IS NULL OR points_per_yuan BETWEEN 1 AND 100000')


def downgrade():
    with op.batch_alter_table('stored_value_settings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_stored_value_settings_points_rate_range'), type_='check')
        batch_op.drop_column('points_per_yuan')
