"""Physical card stock and counter top-up: changes beyond 0029.

A batch of physical member cards is made inline when small and by a job when large: the batch row says how far
the job is (`status`, `made`) and when its printing file was last exported, and by whom.

Revision ID: 0035_card_stock_counter
Revises: 0034_paid_membership
Create Date: 2026-12-07 05:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import models.base


# revision identifiers, used by Alembic.
revision = '0035_card_stock_counter'
down_revision = '0034_paid_membership'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('member_card_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=8), nullable=False, server_default='done'))
        batch_op.add_column(sa.Column('made', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('failure', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('exported_at', models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('exported_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_member_card_batches_exported_by_id_staff'), 'staff',
                                    ['exported_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_check_constraint(batch_op.f('ck_member_card_batches_status_known'),
                                         "status IN ('making', 'done', 'failed')")
        batch_op.create_check_constraint(batch_op.f('ck_member_card_batches_made_within_quantity'),
                                         'made >= 0 AND made <= quantity')


def downgrade():
    with op.batch_alter_table('member_card_batches', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_member_card_batches_made_within_quantity'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_member_card_batches_status_known'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_member_card_batches_exported_by_id_staff'), type_='foreignkey')
        batch_op.drop_column('exported_by_id')
        batch_op.drop_column('exported_at')
        batch_op.drop_column('failure')
        batch_op.drop_column('made')
        batch_op.drop_column('status')
