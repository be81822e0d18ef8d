"""What the card packages (WeChat's member card) still have to be told about a member: one row per member whose
balance, points or level changed since the card last showed them."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TenantMixin, UTCDateTime


class CardPackagePush(TenantMixin, Base):
    """A member whose card is behind. Each change adds to `changes`; the push job claims the row for a while
    (`claimed_until`), sends the member's totals as they are then, and deletes the row only if `changes` is still
    what it read, so a change made during the call is pushed too and the newest totals always win. A refused or
    failed push is tried again at `next_try_at`, WeChat's words in `last_error`."""

    __tablename__ = "card_package_pushes"
    __table_args__ = (sa.PrimaryKeyConstraint("merchant_id", "member_id"),
                      sa.Index("ix_card_package_pushes_due", "next_try_at"))

    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False)
    changes: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)
    first_changed_at = mapped_column(UTCDateTime(), nullable=False)
    next_try_at = mapped_column(UTCDateTime(), nullable=False)
    claimed_until = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(300))
