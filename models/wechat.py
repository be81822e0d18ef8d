"""Official-account state: settings, keyword replies, the menu, inbound de-duplication, shared tokens."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, CreatedAtMixin, TenantMixin, UTCDateTime

KEYWORD_MATCHES = ("exact", "contains")


class WechatSettings(TenantMixin, CreatedAtMixin, Base):
    """Per-merchant behaviour of the official account and member pages (one row per merchant)."""

    __tablename__ = "wechat_settings"
    # The registration and follow gifts are reward rules (models.rewards, kinds registration / follow).
    __table_args__ = (sa.UniqueConstraint("merchant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    welcome_text: Mapped[str] = mapped_column(sa.String(600), nullable=False, default="")
    default_reply: Mapped[str] = mapped_column(sa.String(600), nullable=False, default="")
    # Ask for nickname and avatar (snsapi_userinfo) instead of the silent snsapi_base login.
    oauth_userinfo: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    notify_points: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    notify_balance: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    notify_level: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    notify_coupon: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True, server_default=sa.true())
    # Template ids by notice kind, as configured in the merchant's official account.
    template_ids: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    # Up to 3 menus x 5 items: [{"name", "type": click|view, "key"|"url", "reply", "sub_button": [...]}]
    menu: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    menu_published_at = mapped_column(UTCDateTime())


class KeywordReply(TenantMixin, CreatedAtMixin, Base):
    __tablename__ = "keyword_replies"
    __table_args__ = (sa.UniqueConstraint("merchant_id", "keyword", "match"),
                      sa.CheckConstraint(f"match IN {KEYWORD_MATCHES!r}", name="match_known"))

    id: Mapped[int] = mapped_column(primary_key=True)
    keyword: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    match: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="exact")
    reply_text: Mapped[str] = mapped_column(sa.String(600), nullable=False)
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)


class WechatInbound(TenantMixin, CreatedAtMixin, Base):
    """One delivered callback. The unique key makes WeChat's retries (even concurrent) take effect once."""

    __tablename__ = "wechat_inbound"
    __table_args__ = (sa.UniqueConstraint("merchant_id", "dedupe_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(sa.String(160), nullable=False)
    msg_type: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    event: Mapped[str | None] = mapped_column(sa.String(40))
    openid: Mapped[str] = mapped_column(sa.String(128), nullable=False)
    # The plain reply XML (encrypted again per delivery in safe mode); '' means "success", no reply.
    reply_xml: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")


class SharedToken(CreatedAtMixin, Base):
    """Channel access tokens and tickets in the database, for the embedded mode without Redis."""

    __tablename__ = "shared_tokens"

    key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    value: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    expires_at = mapped_column(UTCDateTime())


class WechatCallbackNonce(Base):
    """A signed callback URL seen (its timestamp and nonce) and the hash of the body it carried, kept for the
    signature's window: the URL again with another body is a replay (the signature covers no body). Used when
    there is no Redis; with Redis the same pair lives there with an expiry."""

    __tablename__ = "wechat_callback_nonces"
    __table_args__ = (sa.PrimaryKeyConstraint("merchant_id", "signed"),)

    merchant_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    signed: Mapped[str] = mapped_column(sa.String(80), nullable=False)  # "<timestamp>:<nonce>"
    body_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    seen_at = mapped_column(UTCDateTime(), nullable=False)
