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
    op.create_table(
        "alipay_voucher_activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("out_biz_no", sa.String(length=64), nullable=False),
        sa.Column("activity_id", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("sync_error", sa.String(length=300), nullable=True),
        sa.Column("synced_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.CheckConstraint("state IN ('pending', 'active', 'failed', 'stopped')",
                           name=op.f("ck_alipay_voucher_activities_activity_state_known")),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"],
                                name=op.f("fk_alipay_voucher_activities_merchant_id_merchants"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["template_id"], ["coupon_templates.id"],
                                name=op.f("fk_alipay_voucher_activities_template_id_coupon_templates"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alipay_voucher_activities")),
        sa.UniqueConstraint("merchant_id", "out_biz_no",
                            name=op.f("uq_alipay_voucher_activities_merchant_id_out_biz_no")),
        sa.UniqueConstraint("merchant_id", "template_id",
                            name=op.f("uq_alipay_voucher_activities_merchant_id_template_id")),
    )
    op.create_table(
        "alipay_voucher_deposits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("code_id", sa.Integer(), nullable=False),
        sa.Column("alipay_user_id", sa.String(length=128), nullable=False),
        sa.Column("out_biz_no", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("updated_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.CheckConstraint("state IN ('pending', 'deposited', 'used', 'refunded')",
                           name=op.f("ck_alipay_voucher_deposits_deposit_state_known")),
        sa.ForeignKeyConstraint(["code_id"], ["coupon_codes.id"],
                                name=op.f("fk_alipay_voucher_deposits_code_id_coupon_codes"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"],
                                name=op.f("fk_alipay_voucher_deposits_merchant_id_merchants"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["template_id"], ["coupon_templates.id"],
                                name=op.f("fk_alipay_voucher_deposits_template_id_coupon_templates"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alipay_voucher_deposits")),
        sa.UniqueConstraint("merchant_id", "code_id", name=op.f("uq_alipay_voucher_deposits_merchant_id_code_id")),
        sa.UniqueConstraint("merchant_id", "out_biz_no",
                            name=op.f("uq_alipay_voucher_deposits_merchant_id_out_biz_no")),
    )
    op.create_index("ix_alipay_voucher_deposits_template", "alipay_voucher_deposits",
                    ["merchant_id", "template_id", "state"], unique=False)
    op.create_table(
        "sandbox_alipay_voucher_activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("app_id", sa.String(length=32), nullable=False),
        sa.Column("activity_id", sa.String(length=64), nullable=False),
        sa.Column("activity_name", sa.String(length=64), nullable=False),
        sa.Column("voucher_type", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_alipay_voucher_activities")),
        sa.UniqueConstraint("activity_id", name=op.f("uq_sandbox_alipay_voucher_activities_activity_id")),
    )
    op.create_index(op.f("ix_sandbox_alipay_voucher_activities_app_id"), "sandbox_alipay_voucher_activities",
                    ["app_id"], unique=False)
    op.create_table(
        "sandbox_alipay_vouchers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("app_id", sa.String(length=32), nullable=False),
        sa.Column("activity_id", sa.String(length=64), nullable=False),
        sa.Column("voucher_code", sa.String(length=64), nullable=False),
        sa.Column("voucher_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("used_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.CheckConstraint("status IN ('AVAILABLE', 'USED')", name=op.f("ck_sandbox_alipay_vouchers_sandbox_voucher_state")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_alipay_vouchers")),
        sa.UniqueConstraint("activity_id", "voucher_code",
                            name=op.f("uq_sandbox_alipay_vouchers_activity_id_voucher_code")),
        sa.UniqueConstraint("voucher_id", name=op.f("uq_sandbox_alipay_vouchers_voucher_id")),
    )
    op.create_index("ix_sandbox_alipay_vouchers_user", "sandbox_alipay_vouchers", ["app_id", "user_id"], unique=False)
    op.create_table(
        "sandbox_alipay_voucher_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("app_id", sa.String(length=32), nullable=False),
        sa.Column("method", sa.String(length=64), nullable=False),
        sa.Column("out_biz_no", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("answer", sa.JSON(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_alipay_voucher_requests")),
        sa.UniqueConstraint("app_id", "method", "out_biz_no",
                            name=op.f("uq_sandbox_alipay_voucher_requests_app_id_method_out_biz_no")),
    )


def downgrade():
    op.drop_table("sandbox_alipay_voucher_requests")
    op.drop_index("ix_sandbox_alipay_vouchers_user", table_name="sandbox_alipay_vouchers")
    op.drop_table("sandbox_alipay_vouchers")
    op.drop_index(op.f("ix_sandbox_alipay_voucher_activities_app_id"), table_name="sandbox_alipay_voucher_activities")
    op.drop_table("sandbox_alipay_voucher_activities")
    op.drop_index("ix_alipay_voucher_deposits_template", table_name="alipay_voucher_deposits")
    op.drop_table("alipay_voucher_deposits")
    op.drop_table("alipay_voucher_activities")
