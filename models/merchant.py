import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.clock import DEFAULT_TIMEZONE
from domain.points import EXPIRY_NEVER
from models.base import Base, CreatedAtMixin, TenantMixin
from models.crypto import EncryptedString


class Merchant(CreatedAtMixin, Base):
    __tablename__ = "merchants"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(40), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    timezone: Mapped[str] = mapped_column(sa.String(64), nullable=False, default=DEFAULT_TIMEZONE)
    points_expiry_mode: Mapped[str] = mapped_column(sa.String(32), nullable=False, default=EXPIRY_NEVER)
    points_expiry_days: Mapped[int | None] = mapped_column(sa.Integer)
    # Channel credentials: secrets are encrypted at rest with CREDENTIALS_KEYS.
    wechat_app_id: Mapped[str | None] = mapped_column(sa.String(64))
    wechat_app_secret: Mapped[str | None] = mapped_column(EncryptedString())
    wechat_token: Mapped[str | None] = mapped_column(EncryptedString())
    wechat_aes_key: Mapped[str | None] = mapped_column(EncryptedString())
    # WeChat's 消息加解密方式: plain (明文), compatible (兼容: both accepted) or safe (安全: encrypted only)
    wechat_message_mode: Mapped[str] = mapped_column(sa.String(12), nullable=False, default="compatible",
                                                     server_default="compatible")
    alipay_app_id: Mapped[str | None] = mapped_column(sa.String(64))
    alipay_private_key: Mapped[str | None] = mapped_column(EncryptedString())
    alipay_public_key: Mapped[str | None] = mapped_column(sa.Text)
    alipay_seller_id: Mapped[str | None] = mapped_column(sa.String(32))  # checked on notifications when set
    wechat_pay_mch_id: Mapped[str | None] = mapped_column(sa.String(32))
    wechat_pay_api_key: Mapped[str | None] = mapped_column(EncryptedString())  # the v2 API key that signs
    wechat_pay_sign_type: Mapped[str] = mapped_column(sa.String(12), nullable=False, default="HMAC-SHA256",
                                                      server_default="HMAC-SHA256")

    stores = relationship("Store", back_populates="merchant", order_by="Store.id")


class Store(TenantMixin, CreatedAtMixin, Base):
    __tablename__ = "stores"
    __table_args__ = (sa.UniqueConstraint("merchant_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    address: Mapped[str | None] = mapped_column(sa.String(200))
    phone: Mapped[str | None] = mapped_column(sa.String(30))
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)

    merchant = relationship("Merchant", back_populates="stores")
