"""Member self-pay in H5

Revision ID: 0015_self_pay
Revises: 0014_gift_rules
Create Date: 2026-11-24 06:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import models.base
import models.crypto


# revision identifiers, used by Alembic.
revision = '0015_self_pay'
down_revision = '0014_gift_rules'
branch_labels = None
depends_on = None


OLD_KINDS = "kind IN ('topup', 'gift_card', 'timed_card', 'count_card', 'benefit_card', 'coupon')"
NEW_KINDS = "kind IN ('topup', 'gift_card', 'timed_card', 'count_card', 'benefit_card', 'coupon', 'self_pay')"
OLD_METHODS = "method IN ('scan', 'manual', 'api')"
NEW_METHODS = "method IN ('scan', 'manual', 'api', 'self')"


def _checks(kinds, methods):
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_orders_kind_known'), type_='check')
        batch_op.create_check_constraint('kind_known', kinds)
    with op.batch_alter_table('verifications', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_verifications_method_known'), type_='check')
        batch_op.create_check_constraint('method_known', methods)


def upgrade():
    _checks(NEW_KINDS, NEW_METHODS)


def downgrade():
    # Self-pay orders hold real payments: refuse rather than lose them. A coupon a member used by self-pay reads
    # as a manual verification in the older schema.
    if op.get_bind().execute(sa.text("SELECT count(*) FROM orders WHERE kind = 'self_pay'")).scalar():
        raise RuntimeError("orders of kind self_pay exist; refusing to downgrade 0015_self_pay")
    op.execute("UPDATE verifications SET method = 'manual' WHERE method = 'self'")
    _checks(OLD_KINDS, OLD_METHODS)
