"""WeChat Pay and Alipay at the till (payment codes)

Revision ID: 0016_till_channels
Revises: 0015_self_pay
Create Date: 2026-11-24 06:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import models.base
import models.crypto


# revision identifiers, used by Alembic.
revision = '0016_till_channels'
down_revision = '0015_self_pay'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
