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


def upgrade():
    pass


def downgrade():
    pass
