"""What the sandbox keeps when it plays Alipay's member card API: templates, the cards opened in users' card
packages (with what the merchant last set: points, balance, level), and each request's answer by its request id,
so a repeated request_id / out_serial_no gets the first answer again as on Alipay."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, CreatedAtMixin


class SandboxAlipayCardTemplate(CreatedAtMixin, Base):
    __tablename__ = "sandbox_alipay_card_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[str] = mapped_column(sa.String(32), nullable=False, index=True)
    template_id: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    payload: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)  # the template as last set
    updates: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)


class SandboxAlipayCard(CreatedAtMixin, Base):
    """A card opened for an Alipay user: Alipay's number (biz_card_no), the merchant's (external_card_no), and the
    figures the card shows. `updates` counts card.update calls."""

    __tablename__ = "sandbox_alipay_cards"
    __table_args__ = (sa.Index("ix_sandbox_alipay_cards_user", "app_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    template_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    user_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    biz_card_no: Mapped[str] = mapped_column(sa.String(32), nullable=False, unique=True)
    external_card_no: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    open_date: Mapped[str] = mapped_column(sa.String(19), nullable=False)
    valid_date: Mapped[str] = mapped_column(sa.String(19), nullable=False)
    point: Mapped[str] = mapped_column(sa.String(32), nullable=False, default="0")
    balance: Mapped[str] = mapped_column(sa.String(32), nullable=False, default="0.00")
    level: Mapped[str] = mapped_column(sa.String(32), nullable=False, default="")
    state: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="open")  # open | deleted
    updates: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)


class SandboxAlipayCardRequest(CreatedAtMixin, Base):
    """The answer given to one request id of one app (template.create/modify: request_id; card.open/delete:
    out_serial_no)."""

    __tablename__ = "sandbox_alipay_card_requests"
    __table_args__ = (sa.UniqueConstraint("app_id", "method", "request_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    method: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    request_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    answer: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
