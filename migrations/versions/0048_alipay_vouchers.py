"""Alipay merchant vouchers (商家券) for a coupon template the merchant chooses.

Revision ID: 0048_alipay_vouchers
Revises: 0047_alipay_life_messages
Create Date: 2026-12-07 11:30:00

"""
from alembic import op
import sqlalchemy as sa

import models.base


# revision identifiers, used by Alembic.
revision = '0048_alipay_vouchers'
down_revision = '0047_alipay_life_messages'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
