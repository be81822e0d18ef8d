"""Recruitment (招募): where members come from (join codes, share links, invite links), what each source brought,
guides and the history of who guides whom, and the merchant's recruitment settings."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.recruitment import ATTRIBUTION_EVENTS, GUIDE_CHANGE_HOWS, SHARE_CHANNELS, SOURCE_KINDS, SOURCE_TARGETS
from domain.referrals import REFERRAL_EVENTS, REFERRAL_OUTCOMES
from models.base import Base, CreatedAtMixin, TenantMixin, UTCDateTime


class RecruitSource(TenantMixin, CreatedAtMixin, Base):
    """One tracked way in: a store's or a staff member's join code, a share channel's link, a member's invite
    link, a campaign's or a send's link. `token` is what the URL carries (random, unguessable); `natural_key`
    names the source once (e.g. 'staff:5:poster:join') so two requests creating it at once end with one row."""

    __tablename__ = "recruit_sources"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "token"),
        sa.UniqueConstraint("merchant_id", "natural_key"),
        sa.CheckConstraint(f"kind IN {SOURCE_KINDS!r}", name="kind_known"),
        sa.CheckConstraint(f"share_channel IS NULL OR share_channel IN {SHARE_CHANNELS!r}", name="share_known"),
        sa.CheckConstraint(f"target IN {SOURCE_TARGETS!r}", name="target_known"),
        sa.Index("ix_recruit_sources_merchant_staff", "merchant_id", "staff_id"),
        sa.Index("ix_recruit_sources_merchant_member", "merchant_id", "member_id"),
        sa.Index("ix_recruit_sources_token", "token"),  # the short link /j/<token> names no merchant
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(12), nullable=False)
    natural_key: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    token: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    share_channel: Mapped[str | None] = mapped_column(sa.String(12))
    # what the link opens: the free card claim, or buying paid membership (付费会员)
    target: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="join")
    card_template_id: Mapped[int | None] = mapped_column(sa.ForeignKey("card_templates.id", ondelete="SET NULL"))
    store_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stores.id", ondelete="SET NULL"))
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id", ondelete="SET NULL"))
    member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"))
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="SET NULL"))
    send_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sends.id", ondelete="SET NULL"))
    expires_at = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)

    store = relationship("Store")
    staff = relationship("Staff")
    member = relationship("Member", foreign_keys=[member_id])


class Attribution(TenantMixin, CreatedAtMixin, Base):
    """What a source (and the staff member behind it) brought: a join, a coupon claim, a card purchase, a top-up,
    a paid membership, a first payment. `key` makes each event count once (a retried request adds nothing)."""

    __tablename__ = "attributions"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "key"),
        sa.CheckConstraint(f"event IN {ATTRIBUTION_EVENTS!r}", name="event_known"),
        sa.Index("ix_attributions_merchant_source_event", "merchant_id", "source_id", "event"),
        sa.Index("ix_attributions_merchant_staff_created", "merchant_id", "staff_id", "created_at"),
        sa.Index("ix_attributions_merchant_member_event", "merchant_id", "member_id", "event"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    event: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False)
    source_id: Mapped[int | None] = mapped_column(sa.ForeignKey("recruit_sources.id", ondelete="SET NULL"))
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id", ondelete="SET NULL"))
    store_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stores.id", ondelete="SET NULL"))
    reference_kind: Mapped[str | None] = mapped_column(sa.String(20))  # order, checkout, coupon_code, card
    reference_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)  # fen

    source = relationship("RecruitSource")
    member = relationship("Member")
    staff = relationship("Staff")


class GuideChange(TenantMixin, CreatedAtMixin, Base):
    """History of a member's guide (专属导购): bound by a scan or an assisted join, reassigned in the back office."""

    __tablename__ = "guide_changes"
    __table_args__ = (
        sa.CheckConstraint(f"how IN {GUIDE_CHANGE_HOWS!r}", name="how_known"),
        sa.Index("ix_guide_changes_merchant_member", "merchant_id", "member_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False)
    from_staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id", ondelete="SET NULL"))
    to_staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id", ondelete="SET NULL"))
    how: Mapped[str] = mapped_column(sa.String(12), nullable=False)
    reason: Mapped[str | None] = mapped_column(sa.String(200))
    operator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id", ondelete="SET NULL"))

    from_staff = relationship("Staff", foreign_keys=[from_staff_id])
    to_staff = relationship("Staff", foreign_keys=[to_staff_id])
    operator = relationship("Staff", foreign_keys=[operator_id])


class RecruitSettings(Base):
    """A merchant's recruitment settings (one row, created on first use): whether a later guide's code rebinds a
    member, and the referral rewards (老会员推荐) per level for an invitee's join and first payment:
    {"join": [{"points": 100, "coupon_template_id": 3}, ...up to 3 levels], "first_payment": [...]}."""

    __tablename__ = "recruit_settings"

    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"), primary_key=True)
    rebind_guide_on_scan: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    referral_rewards: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    invite_enabled: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)


class ReferralReward(TenantMixin, CreatedAtMixin, Base):
    """What one invitee's join or first payment gave one referrer up the chain (老会员推荐), once: `key` is
    'referral:<invitee>:<event>:<level>', the same key the points and the coupon carry. A referral refused
    (a self-referral, say) is kept too, as outcome 'refused' with the reason, so the back office can say why
    nobody was rewarded."""

    __tablename__ = "referral_rewards"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "key"),
        sa.CheckConstraint(f"event IN {REFERRAL_EVENTS!r}", name="event_known"),
        sa.CheckConstraint(f"outcome IN {REFERRAL_OUTCOMES!r}", name="outcome_known"),
        sa.CheckConstraint("level BETWEEN 1 AND 3 AND points >= 0", name="level_points_in_range"),
        sa.Index("ix_referral_rewards_merchant_referrer", "merchant_id", "referrer_id"),
        sa.Index("ix_referral_rewards_merchant_invitee", "merchant_id", "invitee_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    invitee_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False)
    referrer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="SET NULL"))
    event: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    level: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False)
    outcome: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    points: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    coupon_template_id: Mapped[int | None] = mapped_column(sa.ForeignKey("coupon_templates.id", ondelete="SET NULL"))
    coupon_code_id: Mapped[int | None] = mapped_column(sa.ForeignKey("coupon_codes.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(sa.String(200))

    invitee = relationship("Member", foreign_keys=[invitee_id])
    referrer = relationship("Member", foreign_keys=[referrer_id])
    coupon_template = relationship("CouponTemplate")
