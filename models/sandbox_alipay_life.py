"""What the sandbox remembers while it plays the Alipay life account (生活号): who follows which app's life
account, and the messages the life account sent (dev and tests only)."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, CreatedAtMixin, UTCDateTime


class SandboxLifeFollow(CreatedAtMixin, Base):
    """A simulated Alipay user's follow of an app's life account (关注生活号); unfollowing keeps the row."""

    __tablename__ = "sandbox_life_follows"
    __table_args__ = (sa.UniqueConstraint("app_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    user_id: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    following: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    changed_at = mapped_column(UTCDateTime())


class SandboxLifeMessage(CreatedAtMixin, Base):
    """A message the life account sent to one user: a template message (single.send) or a text (custom.send)."""

    __tablename__ = "sandbox_life_messages"
    __table_args__ = (sa.Index("ix_sandbox_life_messages_user", "app_id", "to_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    to_user_id: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    method: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    msg_id: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    template_id: Mapped[str | None] = mapped_column(sa.String(64))
    payload: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)  # the biz_content as received
