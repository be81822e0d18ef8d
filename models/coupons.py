"""Coupon templates, the codes issued from them, and the verification records kept for reconciliation."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.coupons import KINDS, STATES
from models.base import Base, CreatedAtMixin, TenantMixin, UTCDateTime, link_table

CHANNELS = ("follow_gift", "menu", "poster_qr", "receipt_qr", "staff", "mass_message", "template_message",
            "shop_qr", "points_exchange", "purchase", "h5", "bulk", "friend", "campaign", "referral")
VERIFY_METHODS = ("scan", "manual", "api", "self")  # self: the member, paying in H5 (self-pay)
INSTRUMENT_TYPES = ("coupon", "count_card", "timed_card", "gift_card", "benefit_card", "gift_exchange")
BULK_STATUSES = ("queued", "running", "done", "failed")

coupon_template_stores = link_table("coupon_template_stores", "template_id", "coupon_templates")


class CouponTemplate(TenantMixin, CreatedAtMixin, Base):
    __tablename__ = "coupon_templates"
    __table_args__ = (
        sa.CheckConstraint(f"kind IN {KINDS!r}", name="kind_known"),
        sa.CheckConstraint("stock_total IS NULL OR (stock_issued >= 0 AND stock_issued <= stock_total)",
                           name="stock_in_range"),
        sa.CheckConstraint("amount_off IS NULL OR amount_off > 0", name="amount_off_positive"),
        sa.CheckConstraint("discount_percent IS NULL OR discount_percent BETWEEN 1 AND 99", name="discount_range"),
        sa.CheckConstraint("per_member_limit IS NULL OR per_member_limit > 0", name="limit_positive"),
        sa.CheckConstraint("validity_mode IN ('fixed', 'relative')", name="validity_mode_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    title: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    notes: Mapped[str | None] = mapped_column(sa.String(1000))
    cover_color: Mapped[str] = mapped_column(sa.String(7), nullable=False, default="#07C160")
    amount_off: Mapped[int | None] = mapped_column(sa.BigInteger)  # cash: fen off
    min_spend: Mapped[int | None] = mapped_column(sa.BigInteger)  # fen
    discount_percent: Mapped[int | None] = mapped_column(sa.Integer)  # discount: 85 = 8.5折
    discount_cap: Mapped[int | None] = mapped_column(sa.BigInteger)  # fen
    gift_item: Mapped[str | None] = mapped_column(sa.String(60))  # gift / groupon: what it is exchanged for
    event_starts_at = mapped_column(UTCDateTime())  # ticket: the session it admits to
    stock_total: Mapped[int | None] = mapped_column(sa.Integer)  # None = unlimited
    stock_issued: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    per_member_limit: Mapped[int | None] = mapped_column(sa.Integer)
    validity_mode: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="relative")
    valid_from = mapped_column(sa.Date)
    valid_until = mapped_column(sa.Date)
    valid_days: Mapped[int | None] = mapped_column(sa.Integer)
    valid_after_days: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    all_stores: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    weekdays: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)  # 0 = Monday; empty = all
    start_minute: Mapped[int | None] = mapped_column(sa.Integer)
    end_minute: Mapped[int | None] = mapped_column(sa.Integer)
    free_claim: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    points_prices: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)  # {level_id: points}
    price: Mapped[int | None] = mapped_column(sa.BigInteger)  # fen, bought through the payment flow
    shareable: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)

    stores = relationship("Store", secondary=coupon_template_stores, order_by="Store.id")


class CouponCode(TenantMixin, CreatedAtMixin, Base):
    __tablename__ = "coupon_codes"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "code"),
        sa.UniqueConstraint("merchant_id", "idempotency_key"),
        sa.CheckConstraint(f"state IN {STATES!r}", name="state_known"),
        sa.CheckConstraint(f"channel IN {CHANNELS!r}", name="channel_known"),
        sa.Index("ix_coupon_codes_member_state", "member_id", "state"),
        sa.Index("ix_coupon_codes_template_member", "template_id", "member_id"),
        # a campaign's report: only the codes campaigns gave
        sa.Index("ix_coupon_codes_campaign", "merchant_id", "campaign_id", postgresql_where=sa.text(
            "campaign_id IS NOT NULL"), sqlite_where=sa.text("campaign_id IS NOT NULL")),
        # the coupons report: a day's codes given out, and a day's codes reaching their end
        sa.Index("ix_coupon_codes_merchant_created", "merchant_id", "created_at"),
        sa.Index("ix_coupon_codes_merchant_ends", "merchant_id", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(sa.ForeignKey("coupon_templates.id", ondelete="RESTRICT"), nullable=False)
    member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="SET NULL"))
    code: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    state: Mapped[str] = mapped_column(sa.String(12), nullable=False, default="available")
    channel: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    idempotency_key: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    starts_at = mapped_column(UTCDateTime(), nullable=False)
    ends_at = mapped_column(UTCDateTime(), nullable=False)
    used_at = mapped_column(UTCDateTime())
    used_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id", ondelete="SET NULL"))
    used_store_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stores.id", ondelete="SET NULL"))
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id", ondelete="SET NULL"))
    source_card_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cards.id", ondelete="SET NULL"), index=True)
    shared_from_id: Mapped[int | None] = mapped_column(sa.ForeignKey("coupon_codes.id", ondelete="SET NULL"))
    # The campaign that gave it (no foreign key: a million codes come from one statement per chunk, and a per-row
    # check of the campaign would cost as much as the insert; campaigns are ended, never deleted).
    campaign_id: Mapped[int | None] = mapped_column(sa.Integer)

    template = relationship("CouponTemplate")
    member = relationship("Member")
    used_by = relationship("Staff", foreign_keys=[used_by_id])
    used_store = relationship("Store")


class Verification(TenantMixin, CreatedAtMixin, Base):
    """One use of an instrument at the till: who, where, when, how, and the money taken, for reconciliation."""

    __tablename__ = "verifications"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "idempotency_key"),
        sa.CheckConstraint(f"method IN {VERIFY_METHODS!r}", name="method_known"),
        sa.CheckConstraint(f"instrument_type IN {INSTRUMENT_TYPES!r}", name="instrument_known"),
        sa.CheckConstraint("quantity IS NULL OR quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("amount_received >= 0", name="amount_nonneg"),
        sa.Index("ix_verifications_merchant_created", "merchant_id", "created_at"),
        sa.Index("ix_verifications_merchant_member", "merchant_id", "member_id", "created_at"),  # 会员360
        sa.Index("ix_verifications_store_created", "store_id", "created_at"),
        # the coupons and cards reports: a day's undone verifications (few: only those ever undone)
        sa.Index("ix_verifications_merchant_undone", "merchant_id", "undone_at", postgresql_where=sa.text(
            "undone_at IS NOT NULL"), sqlite_where=sa.text("undone_at IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_type: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="coupon")
    coupon_code_id: Mapped[int | None] = mapped_column(sa.ForeignKey("coupon_codes.id", ondelete="RESTRICT"), index=True)
    card_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cards.id", ondelete="RESTRICT"), index=True)
    quantity: Mapped[int | None] = mapped_column(sa.Integer)  # uses taken from a count card
    amount_taken: Mapped[int | None] = mapped_column(sa.BigInteger)  # fen spent from a gift card
    wallet_transaction_id: Mapped[int | None] = mapped_column(sa.ForeignKey("wallet_transactions.id", ondelete="RESTRICT"))
    api_key_id: Mapped[int | None] = mapped_column(sa.ForeignKey("api_keys.id", ondelete="SET NULL"), index=True)
    instrument_name: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    method: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id", ondelete="RESTRICT"), nullable=False)
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id", ondelete="SET NULL"))
    member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="SET NULL"))
    amount_received: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    idempotency_key: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    undone_at = mapped_column(UTCDateTime())
    undone_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id", ondelete="SET NULL"))

    store = relationship("Store")
    staff = relationship("Staff", foreign_keys=[staff_id])
    coupon_code = relationship("CouponCode")
    card = relationship("Card")
    api_key = relationship("ApiKey")


class ClaimLink(TenantMixin, CreatedAtMixin, Base):
    """A one-time claim link for one coupon, bound to a payment (the receipt QR). Only the token's hash is kept."""

    __tablename__ = "coupon_claim_links"
    __table_args__ = (
        sa.UniqueConstraint("token_hash"),
        sa.UniqueConstraint("merchant_id", "payment_ref", "template_id"),
        sa.CheckConstraint(f"channel IN {CHANNELS!r}", name="channel_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(sa.ForeignKey("coupon_templates.id", ondelete="CASCADE"), nullable=False)
    payment_ref: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    channel: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="receipt_qr")
    token_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    expires_at = mapped_column(UTCDateTime(), nullable=False)
    claimed_at = mapped_column(UTCDateTime())
    claimed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="SET NULL"))
    coupon_code_id: Mapped[int | None] = mapped_column(sa.ForeignKey("coupon_codes.id", ondelete="SET NULL"))

    template = relationship("CouponTemplate")


class BulkIssue(TenantMixin, CreatedAtMixin, Base):
    """A merchant's issue of one coupon to a filtered group of members: the job's status and progress."""

    __tablename__ = "coupon_bulk_issues"
    __table_args__ = (
        sa.CheckConstraint(f"status IN {BULK_STATUSES!r}", name="status_known"),
        sa.CheckConstraint(f"channel IN {CHANNELS!r}", name="channel_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(sa.ForeignKey("coupon_templates.id", ondelete="CASCADE"), nullable=False)
    filters: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    channel: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="bulk")
    status: Mapped[str] = mapped_column(sa.String(8), nullable=False, default="queued")
    total: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    issued: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    skipped: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    last_member_id: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)  # resume point
    error: Mapped[str | None] = mapped_column(sa.String(500))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id", ondelete="SET NULL"))
    finished_at = mapped_column(UTCDateTime())

    template = relationship("CouponTemplate")
