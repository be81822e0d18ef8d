"""Columns every ledger transaction carries: what, why, who, where, and its idempotency key."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship


class LedgerEntryMixin:
    kind: Mapped[str] = mapped_column(sa.String(24), nullable=False)
    reference_type: Mapped[str | None] = mapped_column(sa.String(32))
    reference_id: Mapped[str | None] = mapped_column(sa.String(64))
    note: Mapped[str | None] = mapped_column(sa.String(200))
    idempotency_key: Mapped[str] = mapped_column(sa.String(100), nullable=False)

    @declared_attr
    def operator_id(cls) -> Mapped[int | None]:
        return mapped_column(sa.ForeignKey("staff.id", ondelete="SET NULL"))

    @declared_attr
    def store_id(cls) -> Mapped[int | None]:
        return mapped_column(sa.ForeignKey("stores.id", ondelete="SET NULL"))

    @declared_attr
    def operator(cls):
        return relationship("Staff")

    @declared_attr
    def store(cls):
        return relationship("Store")
