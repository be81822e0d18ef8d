"""Points at the counter: the merchant's switches for staff adding and deducting points.

Revision ID: 0038_staff_points
Revises: 0037_points_mall
Create Date: 2026-12-07 06:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0038_staff_points'
down_revision = '0037_points_mall'
branch_labels = None
depends_on = None


def upgrade():
    # Seed 000 §6 手动增减积分: the two ticks decide whether the staff page offers adding and deducting points.
    with op.batch_alter_table('checkout_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('staff_add_points', sa.Boolean(), server_default=sa.text('false'),
                                      nullable=False))
        batch_op.add_column(sa.Column('staff_deduct_points', sa.Boolean(), server_default=sa.text('false'),
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('checkout_settings', schema=None) as batch_op:
        batch_op.drop_column('staff_deduct_points')
        batch_op.drop_column('staff_add_points')
