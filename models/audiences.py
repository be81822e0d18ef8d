import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, CreatedAtMixin, TenantMixin, UTCDateTime


class Audience(TenantMixin, CreatedAtMixin, Base):
    """A named audience (人群) a merchant saved: its filters (services/audiences/filters.py), not its members,
    so it is counted afresh each time it is used."""

    __tablename__ = "audiences"
    __table_args__ = (sa.UniqueConstraint("merchant_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    filters: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id", ondelete="SET NULL"))
    updated_at = mapped_column(UTCDateTime())
