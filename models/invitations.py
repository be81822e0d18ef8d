"""Invitation SMS (招募推广 · 短信): a batch of invitations an operator sent to phone numbers they typed, the numbers
each batch reached, and the phone numbers that replied T (回T退订) to a marketing SMS, members or not."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, CreatedAtMixin, TenantMixin


class RecruitSmsBatch(TenantMixin, CreatedAtMixin, Base):
    """One press of 发送邀请: the text that went out, the tracked link's source, and what became of the numbers
    typed. `key` is minted when the form is shown, so a double submit sends once."""

    __tablename__ = "recruit_sms_batches"
    __table_args__ = (sa.UniqueConstraint("merchant_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    source_id: Mapped[int | None] = mapped_column(sa.ForeignKey("recruit_sources.id", ondelete="SET NULL"))
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id", ondelete="SET NULL"))  # who sent it
    text: Mapped[str] = mapped_column(sa.String(200), nullable=False)  # the SMS as delivered
    asked: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)  # distinct numbers typed
    sent: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    skipped_member: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    skipped_opted_out: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    skipped_recent: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)

    source = relationship("RecruitSource")
    staff = relationship("Staff")


class RecruitSmsInvitee(TenantMixin, CreatedAtMixin, Base):
    """A number an invitation SMS went to: read to leave a number alone for a while after it was invited."""

    __tablename__ = "recruit_sms_invitees"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "batch_id", "mobile"),
        sa.Index("ix_recruit_sms_invitees_merchant_mobile_created", "merchant_id", "mobile", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("recruit_sms_batches.id", ondelete="CASCADE"), nullable=False)
    mobile: Mapped[str] = mapped_column(sa.String(20), nullable=False)


class SmsOptOut(TenantMixin, CreatedAtMixin, Base):
    """A phone number that replied T / TD / 退订 to this merchant: no marketing SMS (an invitation included) goes
    to it again, whether it belongs to a member or not (a member's own switch is Member.sms_opt_out_at)."""

    __tablename__ = "sms_opt_outs"
    __table_args__ = (sa.UniqueConstraint("merchant_id", "mobile"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mobile: Mapped[str] = mapped_column(sa.String(20), nullable=False)
