"""Campaigns (营销活动): a trigger (birthday, dormant, holidays, a time, a recurrence, entering an audience), an
audience, rewards, a message and limits; each run of one; the members each run targeted and what they got; the
weekly marketing-message allowance per member."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, CreatedAtMixin, TenantMixin, UTCDateTime

CAMPAIGN_KINDS = ("birthday", "dormant", "holiday", "one_off", "recurring", "audience_entry")
CAMPAIGN_STATES = ("draft", "scheduled", "running", "paused", "ended")
RUN_STATES = ("running", "done", "paused", "failed")
TARGET_STATES = ("pending", "rewarded", "holdout", "skipped")
MESSAGE_CHANNELS = ("none", "notice", "wechat", "sms", "best")


class Campaign(TenantMixin, CreatedAtMixin, Base):
    """What a campaign does and its limits. `schedule` holds the trigger's own settings (see domain/campaigns.py);
    `rewards` has the shape of a reward rule's (points, growth, coupons, count_cards); `message` the channel and
    text. Budgets count what was given across all runs, under the campaign's row lock."""

    __tablename__ = "campaigns"
    __table_args__ = (
        sa.CheckConstraint(f"kind IN {CAMPAIGN_KINDS!r}", name="campaign_kind_known"),
        sa.CheckConstraint(f"state IN {CAMPAIGN_STATES!r}", name="campaign_state_known"),
        sa.CheckConstraint("holdout_percent BETWEEN 0 AND 50", name="holdout_range"),
        sa.CheckConstraint("budget_coupons IS NULL OR budget_coupons > 0", name="budget_coupons_positive"),
        sa.CheckConstraint("budget_points IS NULL OR budget_points > 0", name="budget_points_positive"),
        sa.CheckConstraint("used_coupons >= 0 AND used_points >= 0", name="used_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    state: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="draft")
    audience_id: Mapped[int | None] = mapped_column(sa.ForeignKey("audiences.id", ondelete="RESTRICT"), index=True)
    schedule: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    rewards: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    message: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    budget_coupons: Mapped[int | None] = mapped_column(sa.Integer)
    budget_points: Mapped[int | None] = mapped_column(sa.BigInteger)
    used_coupons: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    used_points: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    holdout_percent: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False, default=0)
    holdout_seed: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    ended_reason: Mapped[str | None] = mapped_column(sa.String(60))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id", ondelete="SET NULL"))
    updated_at = mapped_column(UTCDateTime())
    checked_at = mapped_column(UTCDateTime())  # the scheduler's last evaluation: catch-up starts after it

    audience = relationship("Audience")


class CampaignRun(TenantMixin, CreatedAtMixin, Base):
    """One occasion of a campaign (a day of birthdays, a holiday, a member day): its frozen targets, the rewards
    and message as they were when it started (editing a campaign changes only later runs), and its figures."""

    __tablename__ = "campaign_runs"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "campaign_id", "occasion"),
        sa.CheckConstraint(f"state IN {RUN_STATES!r}", name="run_state_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False,
                                             index=True)
    occasion: Mapped[str] = mapped_column(sa.String(40), nullable=False)  # e.g. 2026-12-06, the day it is for
    state: Mapped[str] = mapped_column(sa.String(8), nullable=False, default="running")
    rewards: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    message: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    send_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sends.id", ondelete="SET NULL"))
    targeted: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    holdout: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    rewarded: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    skipped: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    coupons: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    points: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    notices: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    first_target_id: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    last_target_id: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    chunks: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    chunks_done: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    note: Mapped[str | None] = mapped_column(sa.String(200))
    finished_at = mapped_column(UTCDateTime())

    campaign = relationship("Campaign")


class CampaignChunk(Base):
    """A slice of a run's targets (a range of target ids). A worker claims one with FOR UPDATE SKIP LOCKED inside
    the transaction that rewards it and marks it done, so several workers share a run and a killed worker's slice
    is simply taken again."""

    __tablename__ = "campaign_chunks"
    __table_args__ = (sa.PrimaryKeyConstraint("run_id", "seq"),
                      sa.Index("ix_campaign_chunks_merchant", "merchant_id", "run_id"))

    merchant_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    run_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    seq: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    first_id: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    last_id: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    done: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)


class CampaignTarget(Base):
    """One member in one run: treated or held out, and what happened. The unique (campaign, member, period) is
    the campaign's "once per member per period": a tick that runs twice, or a catch-up after a day down, inserts
    nobody twice. `period` is the member's own occasion: the birthday's year, the dormant spell (the last visit
    it follows), the holiday, the member day.

    Up to a million rows per run come from one INSERT … SELECT, so there are no foreign keys (a per-row check
    doubles the time; campaign, merchant and member come from the rows of that same statement)."""

    __tablename__ = "campaign_targets"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "campaign_id", "member_id", "period", name="uq_campaign_target"),
        sa.Index("ix_campaign_targets_run", "run_id", "id"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    campaign_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    run_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    member_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    period: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    state: Mapped[str] = mapped_column(sa.String(8), nullable=False, default="pending")
    reason: Mapped[str | None] = mapped_column(sa.String(20))


class MessageAllowance(Base):
    """Marketing messages from campaigns a member received in one week (Monday-based, merchant's timezone): the
    cross-campaign frequency cap, taken by a conditional upsert like the monthly mass allowance."""

    __tablename__ = "message_allowance"
    __table_args__ = (sa.PrimaryKeyConstraint("merchant_id", "member_id", "week"),)

    merchant_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    member_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    week: Mapped[str] = mapped_column(sa.String(10), nullable=False)  # the Monday, YYYY-MM-DD
    used: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False, default=0)
