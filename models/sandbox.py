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


class SandboxMassMessage(CreatedAtMixin, Base):
    """A mass message the sandbox accepted (its id is WeChat's msg_id), kept once per clientmsgid."""

    __tablename__ = "sandbox_mass_messages"
    __table_args__ = (sa.UniqueConstraint("app_id", "client_msg_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    client_msg_id: Mapped[str | None] = mapped_column(sa.String(64))
    payload: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    preview: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    total: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    sent: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    errors: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    reported_at = mapped_column(UTCDateTime())  # MASSSENDJOBFINISH pushed to the account's callback


class SandboxMassRecipient(Base):
    """A follower a mass message reached (delivered) or WeChat dropped (over 4 this month)."""

    __tablename__ = "sandbox_mass_recipients"
    __table_args__ = (sa.Index("ix_sandbox_mass_recipients_openid", "app_id", "openid", "month"),)

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    message_id: Mapped[int] = mapped_column(sa.ForeignKey("sandbox_mass_messages.id", ondelete="CASCADE"),
                                            nullable=False, index=True)
    app_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    openid: Mapped[str] = mapped_column(sa.String(128), nullable=False)
    month: Mapped[str] = mapped_column(sa.String(7), nullable=False)
    delivered: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)


class SandboxMedia(CreatedAtMixin, Base):
    """An image or an article (图文) uploaded to the sandbox's media API."""

    __tablename__ = "sandbox_media"

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(10), nullable=False)  # image | thumb | news
    media_id: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    content_type: Mapped[str | None] = mapped_column(sa.String(40))
    data = mapped_column(sa.LargeBinary)
    payload: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)


class SandboxCard(CreatedAtMixin, Base):
    """A card the sandbox's card API created (card/create), as WeChat keeps it: its type and the JSON the app sent,
    with the fields card/update changed merged in."""

    __tablename__ = "sandbox_cards"

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[str] = mapped_column(sa.String(64), nullable=False, index=True)
    card_id: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    card_type: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    payload: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)  # the member_card object
    updates: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)


class SandboxCardCode(CreatedAtMixin, Base):
    """A card a simulated user added to their card package (领取): its code, and what the card shows once the app
    activated it (membership number, points, balance, custom field values)."""

    __tablename__ = "sandbox_card_codes"
    __table_args__ = (sa.Index("ix_sandbox_card_codes_user", "app_id", "openid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    card_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    code: Mapped[str] = mapped_column(sa.String(32), nullable=False, unique=True)
    openid: Mapped[str] = mapped_column(sa.String(128), nullable=False)
    state: Mapped[str] = mapped_column(sa.String(12), nullable=False, default="added")  # added | activated | deleted
    membership_number: Mapped[str | None] = mapped_column(sa.String(32))
    bonus: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    balance: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)  # fen, as WeChat counts it
    fields: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)  # custom_field_value1..3
    updates: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
