"""Daily report rollups: one small row per merchant, family, day, store and figure, so a report over a year reads
a few thousand rows instead of the raw ledgers (services/reports). `store_id` 0 stands for "no store" (online, or
a merchant-wide figure), so the primary key needs no NULL."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class ReportDaily(Base):
    """One figure of one day: `count` of events and their `amount` (fen, points or pieces, as the family says)."""

    __tablename__ = "report_daily"
    __table_args__ = (
        sa.PrimaryKeyConstraint("merchant_id", "family", "day", "store_id", "key", "part"),
    )

    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"), nullable=False)
    family: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    day = mapped_column(sa.Date, nullable=False)  # in the merchant's timezone
    store_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)  # 0 = no store
    key: Mapped[str] = mapped_column(sa.String(64), nullable=False)  # e.g. "tender:wechat", "discount:coupon"
    # Payments add to one of PARTS rows of a figure (services/reports/rollups.py), so the tills of one busy store do
    # not queue for a single row; a rebuilt day is all in part 0. Readers sum the parts.
    part: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False, default=0, server_default="0")
    count: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)


class ReportBuiltDay(Base):
    """A day whose rollup rows of one family were rebuilt from the raw tables, and when: a day built before it
    ended is rebuilt once it has (jobs/reports.py)."""

    __tablename__ = "report_built_days"
    __table_args__ = (
        sa.PrimaryKeyConstraint("merchant_id", "family", "day"),
    )

    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"), nullable=False)
    family: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    day = mapped_column(sa.Date, nullable=False)
    built_at = mapped_column(UTCDateTime(), nullable=False)
