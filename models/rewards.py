"""Post-payment marketing (支付后营销) and receipt coupon (会员消费优惠券) rules, and what each payment was given.

A rule says who gets what after a payment at the till; a grant records one rule applied to one checkout. Limits
(per member per store, per member overall) are counted on grants, under the member's row lock the payment holds.
"""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, CreatedAtMixin, TenantMixin, UTCDateTime

RULE_KINDS = ("post_payment", "receipt_coupon")
GRANT_STATES = ("granted", "pending_claim", "claimed")

reward_rule_stores = sa.Table(
    "reward_rule_stores",
    Base.metadata,
    sa.Column("rule_id", sa.ForeignKey("reward_rules.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("store_id", sa.ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True),
)


class RewardRule(TenantMixin, CreatedAtMixin, Base):
    __tablename__ = "reward_rules"
    __table_args__ = (
        sa.CheckConstraint(f"kind IN {RULE_KINDS!r}", name="kind_known"),
        sa.CheckConstraint("min_paid >= 0", name="min_paid_positive"),
        sa.CheckConstraint("per_member_store_limit IS NULL OR per_member_store_limit > 0", name="store_limit_positive"),
        sa.CheckConstraint("per_member_limit IS NULL OR per_member_limit > 0", name="limit_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    all_stores: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    level_ids: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)  # empty = every level
    for_non_members: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    min_paid: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)  # fen, of checkout.pay
    rewards: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    per_member_store_limit: Mapped[int | None] = mapped_column(sa.Integer)
    per_member_limit: Mapped[int | None] = mapped_column(sa.Integer)
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    starts_on = mapped_column(sa.Date)
    ends_on = mapped_column(sa.Date)

    stores = relationship("Store", secondary=reward_rule_stores, order_by="Store.id")


class RewardGrant(TenantMixin, CreatedAtMixin, Base):
    """One rule applied to one checkout: given at once, or waiting for a claim through a one-time QR."""

    __tablename__ = "reward_grants"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "idempotency_key"),
        sa.UniqueConstraint("token_hash"),
        sa.CheckConstraint(f"state IN {GRANT_STATES!r}", name="state_known"),
        sa.Index("ix_reward_grants_member_rule", "member_id", "rule_id", "store_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(sa.ForeignKey("reward_rules.id", ondelete="RESTRICT"), nullable=False)
    checkout_id: Mapped[int] = mapped_column(sa.ForeignKey("checkouts.id", ondelete="RESTRICT"), nullable=False,
                                             index=True)
    member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="RESTRICT"))
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id", ondelete="RESTRICT"), nullable=False)
    state: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    token_hash: Mapped[str | None] = mapped_column(sa.String(64))
    idempotency_key: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    claimed_at = mapped_column(UTCDateTime())

    rule = relationship("RewardRule")
