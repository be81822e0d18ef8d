import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, CreatedAtMixin, TenantMixin


class AuditLog(TenantMixin, CreatedAtMixin, Base):
    """Who did what to which record, with the values before and after."""

    __tablename__ = "audit_logs"
    __table_args__ = (sa.Index("ix_audit_logs_target", "merchant_id", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(sa.String(50), nullable=False)
    target_type: Mapped[str] = mapped_column(sa.String(30), nullable=False)
    target_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict | None] = mapped_column(sa.JSON)
    ip: Mapped[str | None] = mapped_column(sa.String(45))

    staff = relationship("Staff")
