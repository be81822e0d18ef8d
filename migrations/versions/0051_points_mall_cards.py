"""Cards in the points mall: a gift may be a count, timed or benefit card; an exchange names the card it issued.

Revision ID: 0051_points_mall_cards
Revises: 0050_alipay_life_level_notice
Create Date: 2026-12-07 15:21:33.809196

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0051_points_mall_cards'
down_revision = '0050_alipay_life_level_notice'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('gift_exchanges', schema=None) as batch_op:
        batch_op.add_column(sa.Column('card_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_gift_exchanges_card_id_cards'), 'cards', ['card_id'], ['id'],
                                    ondelete='SET NULL')

    with op.batch_alter_table('points_gifts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('card_template_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('card_tier_key', sa.String(length=20), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_points_gifts_card_template_id_card_templates'), 'card_templates',
                                    ['card_template_id'], ['id'], ondelete='RESTRICT')


def downgrade():
    with op.batch_alter_table('points_gifts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_points_gifts_card_template_id_card_templates'), type_='foreignkey')
        batch_op.drop_column('card_tier_key')
        batch_op.drop_column('card_template_id')

    with op.batch_alter_table('gift_exchanges', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_gift_exchanges_card_id_cards'), type_='foreignkey')
        batch_op.drop_column('card_id')

