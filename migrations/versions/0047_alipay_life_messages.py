"""Messages through the merchant's Alipay life account (生活号): notices and sends to members who use Alipay only.

Revision ID: 0047_alipay_life_messages
Revises: 0046_alipay_member_card
Create Date: 2026-12-07 11:30:00

"""
from alembic import op
import sqlalchemy as sa

import models.base


# revision identifiers, used by Alembic.
revision = '0047_alipay_life_messages'
down_revision = '0046_alipay_member_card'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
