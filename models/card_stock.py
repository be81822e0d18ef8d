"""Physical member card stock (制卡/发卡, seed 004): batches of card numbers made for the printer, and each card's
life: made -> issued (handed out or sent to a store) -> active (bound to a member) -> lost / returned."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.card_stock import BATCH_STATUSES, STATES
from models.base import Base, CreatedAtMixin, TenantMixin, UTCDateTime
from models.crypto import EncryptedString


class MemberCardBatch(TenantMixin, CreatedAtMixin, Base):
    __tablename__ = "member_card_batches"
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint(f"status IN {BATCH_STATUSES!r}", name="status_known"),
        sa.CheckConstraint("made >= 0 AND made <= quantity", name="made_within_quantity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    quantity: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    prefix: Mapped[str] = mapped_column(sa.String(8), nullable=False, default="")
    with_track: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)  # magnetic stripe number
    with_barcode: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    with_pin: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id", ondelete="SET NULL"))
    # A large batch is made by a job, chunk by chunk: how far it is, and why it stopped if it failed.
    status: Mapped[str] = mapped_column(sa.String(8), nullable=False, default="done", server_default="done")
    made: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0, server_default="0")
    failure: Mapped[str | None] = mapped_column(sa.String(200))
    exported_at = mapped_column(UTCDateTime())  # the printing file, last exported (each export is audited)
    exported_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id", ondelete="SET NULL"))

    created_by = relationship("Staff", foreign_keys=[created_by_id])
    exported_by = relationship("Staff", foreign_keys=[exported_by_id])


class MemberCardStock(TenantMixin, CreatedAtMixin, Base):
    """One physical member card. State changes are conditional updates on `state`."""

    __tablename__ = "member_card_stock"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "card_no"),
        sa.UniqueConstraint("merchant_id", "track_no"),
        sa.UniqueConstraint("merchant_id", "barcode"),
        sa.CheckConstraint(f"state IN {STATES!r}", name="state_known"),
        sa.Index("ix_member_card_stock_merchant_batch_state", "merchant_id", "batch_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("member_card_batches.id", ondelete="RESTRICT"), nullable=False)
    card_no: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    track_no: Mapped[str | None] = mapped_column(sa.String(40))
    barcode: Mapped[str | None] = mapped_column(sa.String(40))
    pin: Mapped[str | None] = mapped_column(EncryptedString())
    state: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="made")
    store_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stores.id", ondelete="SET NULL"))
    member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="SET NULL"), index=True)
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id", ondelete="SET NULL"))
    issued_at = mapped_column(UTCDateTime())
    activated_at = mapped_column(UTCDateTime())
    lost_at = mapped_column(UTCDateTime())
    returned_at = mapped_column(UTCDateTime())

    batch = relationship("MemberCardBatch")
    store = relationship("Store")
    member = relationship("Member")
