"""券到账: a template notice when a member is given a coupon, and its switch

Revision ID: 0021_coupon_notice
Revises: 0020_audiences
Create Date: 2026-12-06 20:30:00.000000
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0021_coupon_notice'
down_revision = '0020_audiences'
branch_labels = None
depends_on = None

BEFORE = "kind IN ('points_changed', 'balance_changed', 'level_up')"
AFTER = "kind IN ('points_changed', 'balance_changed', 'level_up', 'coupon_received')"


def upgrade():
    with op.batch_alter_table("wechat_settings") as batch:
        batch.add_column(sa.Column("notify_coupon", sa.Boolean(), server_default=sa.true(), nullable=False))
    with op.batch_alter_table("notice_deliveries") as batch:
        batch.drop_constraint("kind_known", type_="check")
        batch.create_check_constraint("kind_known", AFTER)


def downgrade():
    op.execute("DELETE FROM notice_deliveries WHERE kind = 'coupon_received'")
    with op.batch_alter_table("notice_deliveries") as batch:
        batch.drop_constraint("kind_known", type_="check")
        batch.create_check_constraint("kind_known", BEFORE)
    with op.batch_alter_table("wechat_settings") as batch:
        batch.drop_column("notify_coupon")
