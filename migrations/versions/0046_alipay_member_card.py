"""The member card in Alipay's card package: the merchant's template, the cards members opened, and the sandbox's.

Revision ID: 0046_alipay_member_card
Revises: 0045_card_package_pushes
Create Date: 2026-12-07 11:30:00

"""
from alembic import op
import sqlalchemy as sa

import models.base


# revision identifiers, used by Alembic.
revision = '0046_alipay_member_card'
down_revision = '0045_card_package_pushes'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
