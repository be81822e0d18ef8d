"""Card templates (count, timed, gift, benefit), the cards issued from them, transfers and refunds."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.cards import KINDS, STATES
from models.base import Base, CreatedAtMixin, TenantMixin, UTCDateTime, link_table
from models.coupons import CHANNELS
from models.crypto import EncryptedString

card_template_stores = link_table("card_template_stores", "template_id", "card_templates")


class CardTemplate(TenantMixin, CreatedAtMixin, Base):
    """What a merchant sells or gives: one row per card product, kind-specific fields left empty elsewhere."""

    __tablename__ = "card_templates"
    __table_args__ = (
        sa.CheckConstraint(f"kind IN {KINDS!r}", name="kind_known"),
        sa.CheckConstraint("uses IS NULL OR uses > 0", name="uses_positive"),
        sa.CheckConstraint("daily_limit IS NULL OR daily_limit > 0", name="daily_limit_positive"),
        sa.CheckConstraint("start_mode IN ('first_use', 'after_days')", name="start_mode_known"),
        sa.CheckConstraint("activation IN ('auto', 'phone')", name="activation_known"),
        sa.CheckConstraint("price IS NULL OR price >= 0", name="price_nonneg"),
        sa.CheckConstraint("stock_total IS NULL OR (stock_issued >= 0 AND stock_issued <= stock_total)",
                           name="stock_in_range"),
        sa.CheckConstraint("discount_percent IS NULL OR discount_percent BETWEEN 1 AND 99", name="discount_range"),
        sa.CheckConstraint("points_multiplier IS NULL OR points_multiplier >= 100", name="multiplier_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    title: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    notes: Mapped[str | None] = mapped_column(sa.String(1000))
    cover_color: Mapped[str] = mapped_column(sa.String(7), nullable=False, default="#07C160")
    all_stores: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    valid_days: Mapped[int | None] = mapped_column(sa.Integer)  # days from issue; None = no end (count, benefit)
    price: Mapped[int | None] = mapped_column(sa.BigInteger)  # fen; None = free (count, benefit)
    stock_total: Mapped[int | None] = mapped_column(sa.Integer)  # None = unlimited
    stock_issued: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    listed: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)  # delisted shows sold out
    disabled: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)  # no new issues at all
    # count card
    service_name: Mapped[str | None] = mapped_column(sa.String(60))
    uses: Mapped[int | None] = mapped_column(sa.Integer)
    # timed card: tiers [{"key": "month", "label": "月卡", "days": 30, "price": 9900}]
    tiers: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    daily_limit: Mapped[int | None] = mapped_column(sa.Integer)  # None = no limit
    start_mode: Mapped[str] = mapped_column(sa.String(12), nullable=False, default="first_use")
    start_after_days: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    photo_required: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    # gift card: face values [fen], themes [{"key": "spring", "label": "春节", "color": "#C0392B"}]
    face_values: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    themes: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    activation: Mapped[str] = mapped_column(sa.String(8), nullable=False, default="auto")
    # benefit card
    discount_percent: Mapped[int | None] = mapped_column(sa.Integer)  # 90 = 9折
    points_multiplier: Mapped[int | None] = mapped_column(sa.Integer)  # percent: 200 = double points
    free_items: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)  # ["每月免费洗车 1 次"]
    gift_pack: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)  # [{"template_id": 1, "count": 2}]
    # paid membership (付费会员): a benefit card the member sees as membership, a level while it runs, and the
    # level (过期后身份) they return to when it ends (None: the level their growth and spending earn)
    membership: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False, server_default=sa.false())
    membership_level_id: Mapped[int | None] = mapped_column(sa.ForeignKey("levels.id", ondelete="SET NULL"))
    after_expiry_level_id: Mapped[int | None] = mapped_column(sa.ForeignKey("levels.id", ondelete="SET NULL"))

    stores = relationship("Store", secondary=card_template_stores, order_by="Store.id")


class GiftCardBatch(TenantMixin, CreatedAtMixin, Base):
    """Physical gift cards generated together for printing: card number + PIN each."""

    __tablename__ = "gift_card_batches"
    __table_args__ = (sa.CheckConstraint("quantity > 0", name="quantity_positive"),
                      sa.CheckConstraint("face_value > 0", name="face_value_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(sa.ForeignKey("card_templates.id", ondelete="RESTRICT"), nullable=False)
    face_value: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    theme: Mapped[str | None] = mapped_column(sa.String(20))
    quantity: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id", ondelete="SET NULL"))
    exported_at = mapped_column(UTCDateTime())

    template = relationship("CardTemplate")


class Card(TenantMixin, CreatedAtMixin, Base):
    """One issued card of any kind. State changes are conditional updates on `state` (and `uses_left`)."""

    __tablename__ = "cards"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "code"),
        sa.UniqueConstraint("merchant_id", "card_no"),
        sa.UniqueConstraint("merchant_id", "idempotency_key"),
        sa.CheckConstraint(f"kind IN {KINDS!r}", name="kind_known"),
        sa.CheckConstraint(f"state IN {STATES!r}", name="state_known"),
        sa.CheckConstraint(f"channel IN {CHANNELS!r}", name="channel_known"),
        sa.CheckConstraint("uses_left IS NULL OR (uses_left >= 0 AND uses_left <= uses_total)", name="uses_in_range"),
        sa.CheckConstraint("face_value IS NULL OR face_value > 0", name="face_value_positive"),
        sa.Index("ix_cards_member_kind_state", "member_id", "kind", "state"),
        sa.Index("ix_cards_template_state", "template_id", "state"),
        # the cards report: a day's cards sold or given, and a day's physical gift cards activated (few)
        sa.Index("ix_cards_merchant_created", "merchant_id", "created_at"),
        sa.Index("ix_cards_merchant_activated", "merchant_id", "activated_at", postgresql_where=sa.text(
            "batch_id IS NOT NULL"), sqlite_where=sa.text("batch_id IS NOT NULL")),
        # the holder lists (timed-card holders, gift-card buyers): one kind's cards in id order, page by page
        sa.Index("ix_cards_merchant_kind", "merchant_id", "kind", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(sa.ForeignKey("card_templates.id", ondelete="RESTRICT"), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="SET NULL"))
    code: Mapped[str] = mapped_column(sa.String(16), nullable=False)  # shown as QR and read aloud at the till
    state: Mapped[str] = mapped_column(sa.String(12), nullable=False)
    channel: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    idempotency_key: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id", ondelete="SET NULL"))
    starts_at = mapped_column(UTCDateTime())  # None until a timed card starts
    ends_at = mapped_column(UTCDateTime())  # None = no end
    # count card
    uses_total: Mapped[int | None] = mapped_column(sa.Integer)
    uses_left: Mapped[int | None] = mapped_column(sa.Integer)
    # timed card
    tier_key: Mapped[str | None] = mapped_column(sa.String(20))
    days: Mapped[int | None] = mapped_column(sa.Integer)  # length once started
    daily_limit: Mapped[int | None] = mapped_column(sa.Integer)
    photo_path: Mapped[str | None] = mapped_column(sa.String(200))  # the member's photo for the check at the till
    extended_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cards.id", ondelete="SET NULL"))
    # gift card: balance lives on a wallet of kind gift_card; a transfer moves the wallet to a new card row
    face_value: Mapped[int | None] = mapped_column(sa.BigInteger)
    theme: Mapped[str | None] = mapped_column(sa.String(20))
    wallet_id: Mapped[int | None] = mapped_column(sa.ForeignKey("wallets.id", ondelete="RESTRICT"), index=True)
    card_no: Mapped[str | None] = mapped_column(sa.String(20))  # physical cards only
    pin: Mapped[str | None] = mapped_column(EncryptedString())  # physical cards only, exported for printing
    batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("gift_card_batches.id", ondelete="RESTRICT"), index=True)
    activated_at = mapped_column(UTCDateTime())
    transferred_from_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cards.id", ondelete="SET NULL"))
    # any kind
    price_paid: Mapped[int | None] = mapped_column(sa.BigInteger)  # fen actually paid, for refunds
    closed_at = mapped_column(UTCDateTime())

    template = relationship("CardTemplate")
    member = relationship("Member")
    wallet = relationship("Wallet")
    batch = relationship("GiftCardBatch")


class Transfer(TenantMixin, CreatedAtMixin, Base):
    """A one-time link that gives a coupon or gift card to a friend. Only the token's hash is stored."""

    __tablename__ = "transfers"
    __table_args__ = (
        sa.UniqueConstraint("token_hash"),
        sa.CheckConstraint("instrument_type IN ('coupon', 'gift_card')", name="instrument_known"),
        sa.CheckConstraint("(coupon_code_id IS NULL) <> (card_id IS NULL)", name="one_instrument"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_type: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    coupon_code_id: Mapped[int | None] = mapped_column(sa.ForeignKey("coupon_codes.id", ondelete="CASCADE"), index=True)
    card_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cards.id", ondelete="CASCADE"), index=True)
    from_member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False)
    token_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    expires_at = mapped_column(UTCDateTime(), nullable=False)
    accepted_at = mapped_column(UTCDateTime())
    accepted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="SET NULL"))
    cancelled_at = mapped_column(UTCDateTime())
    new_coupon_code_id: Mapped[int | None] = mapped_column(sa.ForeignKey("coupon_codes.id", ondelete="SET NULL"))
    new_card_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cards.id", ondelete="SET NULL"))


class CardRefund(TenantMixin, CreatedAtMixin, Base):
    """A benefit (or other) card taken back: with money (a custom amount) or without."""

    __tablename__ = "card_refunds"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "idempotency_key"),
        sa.UniqueConstraint("card_id"),
        sa.CheckConstraint("amount >= 0", name="amount_nonneg"),
        sa.Index("ix_card_refunds_merchant_created", "merchant_id", "created_at"),  # the cards report's day
        sa.Index("ix_card_refunds_merchant_member", "merchant_id", "member_id"),  # 会员360
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(sa.ForeignKey("cards.id", ondelete="RESTRICT"), nullable=False)
    member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="SET NULL"))
    with_money: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    coupons_taken_back: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    reason: Mapped[str | None] = mapped_column(sa.String(200))
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id", ondelete="SET NULL"))
    idempotency_key: Mapped[str] = mapped_column(sa.String(100), nullable=False)

    card = relationship("Card")
    staff = relationship("Staff")
