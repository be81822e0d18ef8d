"""What the offline sandbox remembers while it plays WeChat, Alipay and the SMS gateway (dev and tests only)."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, CreatedAtMixin, UTCDateTime


class SandboxUser(CreatedAtMixin, Base):
    """A simulated person: a WeChat user of one official account (openid) or an Alipay user (user_id)."""

    __tablename__ = "sandbox_users"
    __table_args__ = (sa.UniqueConstraint("channel", "app_id", "user_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(10), nullable=False)  # wechat | alipay
    app_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    user_key: Mapped[str] = mapped_column(sa.String(128), nullable=False)  # openid or Alipay user_id
    unionid: Mapped[str | None] = mapped_column(sa.String(128))
    nickname: Mapped[str] = mapped_column(sa.String(60), nullable=False, default="")
    avatar_url: Mapped[str | None] = mapped_column(sa.String(300))


class SandboxGrant(CreatedAtMixin, Base):
    """An OAuth code, access token, JS ticket or QR ticket the sandbox issued."""

    __tablename__ = "sandbox_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)  # oauth_code | access_token | jsapi_ticket | qr_ticket | alipay_code
    value: Mapped[str] = mapped_column(sa.String(200), nullable=False, unique=True)
    app_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    user_key: Mapped[str | None] = mapped_column(sa.String(128))
    scope: Mapped[str | None] = mapped_column(sa.String(200))
    expires_at = mapped_column(UTCDateTime())
    used_at = mapped_column(UTCDateTime())


class SandboxOutbox(CreatedAtMixin, Base):
    """Everything sent through the sandbox: template, customer-service and mass messages, menus, SMS."""

    __tablename__ = "sandbox_outbox"
    __table_args__ = (sa.Index("ix_sandbox_outbox_kind_recipient", "kind", "recipient"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)  # template | custom | mass | menu | sms
    app_id: Mapped[str | None] = mapped_column(sa.String(64))
    recipient: Mapped[str | None] = mapped_column(sa.String(128))
    payload: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
