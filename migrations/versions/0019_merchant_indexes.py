"""Drop the indexes of merchant_id alone where a unique constraint or index of the table begins with it

Revision ID: 0019_merchant_indexes
Revises: 0018_levels_reached_upward
Create Date: 2026-11-24 19:40:00.000000

Each tenant table got an index of merchant_id (TenantMixin); most also have a unique constraint or index that
begins with merchant_id (the idempotency key, a code, a name), which serves the same look-ups and the merchant's
cascade. The narrower index only cost every insert: a till payment wrote five of them.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0019_merchant_indexes'
down_revision = '0018_levels_reached_upward'
branch_labels = None
depends_on = None

TABLES = (
    "audit_logs", "card_refunds", "cards", "checkout_refunds", "checkout_settings", "checkouts", "coupon_claim_links",
    "coupon_codes", "fans", "keyword_replies", "levels", "member_field_defs", "member_identities", "members",
    "notice_deliveries", "order_refunds", "orders", "points_transactions", "reward_grants", "sms_codes", "staff",
    "stored_value_settings", "stores", "tags", "verifications", "wallet_transactions", "wechat_inbound",
    "wechat_settings",
)


def upgrade():
    for table in TABLES:
        op.drop_index(f"ix_{table}_merchant_id", table_name=table)


def downgrade():
    for table in TABLES:
        op.create_index(f"ix_{table}_merchant_id", table, ["merchant_id"], unique=False)
