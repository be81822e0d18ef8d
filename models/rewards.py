"""Reward rules and what each one gave.

Payment rules (支付后营销, 会员消费优惠券) say who gets what after a payment at the till; gift rules say what a
member gets on registration (开卡礼), on following the official account (关注礼) and on first reaching a level
(升级礼). A grant records one rule applied once: to one checkout, or to one member's registration, follow or level.
Limits (per member per store, per member overall) are counted on grants, under the member's row lock the payment
holds; gifts are once-only through the grant's idempotency key and, for levels, the LevelReached row.
"""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, CreatedAtMixin, TenantMixin, UTCDateTime, link_table

PAYMENT_KINDS = ("post_payment", "receipt_coupon")
GIFT_KINDS = ("registration", "follow", "level_up")
RULE_KINDS = PAYMENT_KINDS + GIFT_KINDS
GRANT_STATES = ("granted", "pending_claim", "claimed")

reward_rule_stores = link_table("reward_rule_stores", "rule_id", "reward_rules")


class RewardRule(TenantMixin, CreatedAtMixin, Base):
    __tablename__ = "reward_rules"
    __table_args__ = (
        sa.CheckConstraint(f"kind IN {RULE_KINDS!r}", name="kind_known"),
        sa.CheckConstraint("min_paid >= 0", name="min_paid_positive"),
        sa.CheckConstraint("per_member_store_limit IS NULL OR per_member_store_limit > 0", name="store_limit_positive"),
        sa.CheckConstraint("per_member_limit IS NULL OR per_member_limit > 0", name="limit_positive"),
        sa.CheckConstraint("(kind = 'level_up') = (level_id IS NOT NULL)", name="level_for_level_up"),
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
    # 升级礼 only: the level whose first reaching gives the rewards.
    level_id: Mapped[int | None] = mapped_column(sa.ForeignKey("levels.id", ondelete="RESTRICT"), index=True)

    stores = relationship("Store", secondary=reward_rule_stores, order_by="Store.id")
    level = relationship("Level")


class RewardGrant(TenantMixin, CreatedAtMixin, Base):
    """One rule applied once: to a checkout (given at once, or waiting for a claim through a one-time QR), or as a
    gift to a member (no checkout, no store)."""

    __tablename__ = "reward_grants"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "idempotency_key"),
        sa.UniqueConstraint("token_hash"),
        sa.CheckConstraint(f"state IN {GRANT_STATES!r}", name="state_known"),
        sa.Index("ix_reward_grants_member_rule", "member_id", "rule_id", "store_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(sa.ForeignKey("reward_rules.id", ondelete="RESTRICT"), nullable=False)
    checkout_id: Mapped[int | None] = mapped_column(sa.ForeignKey("checkouts.id", ondelete="RESTRICT"), index=True)
    member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="RESTRICT"))
    store_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stores.id", ondelete="RESTRICT"))
    state: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    token_hash: Mapped[str | None] = mapped_column(sa.String(64))
    idempotency_key: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    claimed_at = mapped_column(UTCDateTime())

    rule = relationship("RewardRule")


class LevelReached(TenantMixin, CreatedAtMixin, Base):
    """A member reached this level (by any upgrade, automatic or manual) at least once: the unique pair is what
    makes an upgrade gift once per member per level, ever, even after a downgrade and a second climb."""

    __tablename__ = "levels_reached"
    __table_args__ = (sa.UniqueConstraint("member_id", "level_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False)
    level_id: Mapped[int] = mapped_column(sa.ForeignKey("levels.id", ondelete="CASCADE"), nullable=False)
