"""The Alipay life account sends the level-up notice too (its switch, on for merchants who have the account).

Revision ID: 0050_alipay_life_level_notice
Revises: 0049_timeline_member_indexes
Create Date: 2026-12-07 15:05:05.937222

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0050_alipay_life_level_notice'
down_revision = '0049_timeline_member_indexes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('alipay_life_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notify_level', sa.Boolean(), server_default=sa.text('true'), nullable=False))



def downgrade():
    with op.batch_alter_table('alipay_life_settings', schema=None) as batch_op:
        batch_op.drop_column('notify_level')

