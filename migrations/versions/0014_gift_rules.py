"""Gift rules (registration, follow, level upgrade)

Revision ID: 0014_gift_rules
Revises: 0013_reward_rules
Create Date: 2026-11-24 06:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import models.base
import models.crypto


# revision identifiers, used by Alembic.
revision = '0014_gift_rules'
down_revision = '0013_reward_rules'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
