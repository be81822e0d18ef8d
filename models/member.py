import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, CreatedAtMixin, TenantMixin, UTCDateTime, link_table

GENDERS = ("unknown", "male", "female")
GENDER_LABELS = {"unknown": "未知", "male": "男", "female": "女"}
MEMBER_STATUSES = ("active", "disabled")
MEMBER_STATUS_LABELS = {"active": "正常", "disabled": "已停用"}

member_tags = link_table("member_tags", "member_id", "members", "tag_id", "tags")


class Member(TenantMixin, CreatedAtMixin, Base):
    __tablename__ = "members"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "mobile"),
        sa.CheckConstraint("points_balance >= 0", name="points_nonneg"),
        sa.CheckConstraint("total_spend >= 0 AND total_topup >= 0 AND visit_count >= 0", name="counters_nonneg"),
        sa.CheckConstraint(f"gender IN {GENDERS!r}", name="gender_known"),
        sa.CheckConstraint(f"status IN {MEMBER_STATUSES!r}", name="status_known"),
        sa.Index("ix_members_merchant_level", "merchant_id", "level_id"),
        sa.Index("ix_members_merchant_birthday_month", "merchant_id", "birthday_month"),
        sa.Index("ix_members_merchant_guide", "merchant_id", "guide_id"),
        sa.Index("ix_members_merchant_referrer", "merchant_id", "referrer_id"),
        sa.Index("ix_members_merchant_created", "merchant_id", "created_at"),  # who joined in a period (渠道分析)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mobile: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    name: Mapped[str | None] = mapped_column(sa.String(60))
    gender: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="unknown")
    birthday = mapped_column(sa.Date)
    # Kept beside birthday so "born in March" is an indexed filter on every database.
    birthday_month: Mapped[int | None] = mapped_column(sa.SmallInteger)
    custom_fields: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    level_id: Mapped[int | None] = mapped_column(sa.ForeignKey("levels.id", ondelete="RESTRICT"))
    referrer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="SET NULL"))
    guide_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id", ondelete="SET NULL"))
    guide_bound_at = mapped_column(UTCDateTime())  # when the current guide was bound (commission windows)
    notes: Mapped[str | None] = mapped_column(sa.String(500))  # staff's notes (帮顾客办理), never shown to the member
    home_store_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stores.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="active")
    # Cached sum of the remaining points in the member's lots; kept equal under the member row lock.
    points_balance: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    total_spend: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    total_topup: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    visit_count: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    last_visit_at = mapped_column(UTCDateTime())
    # 成长值: earned by top-up tiers (and later by spending); a level may require a minimum of it.
    growth: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0, server_default="0")
    # When the "top up and get more" nudge was last shown after a payment (nudge_mode "once" shows it once).
    topup_nudged_at = mapped_column(UTCDateTime())
    # replied T or unsubscribed: no marketing SMS again (verification codes still go)
    sms_opt_out_at = mapped_column(UTCDateTime())

    level = relationship("Level")
    referrer = relationship("Member", remote_side=[id])
    guide = relationship("Staff")
    home_store = relationship("Store")
    tags = relationship("Tag", secondary=member_tags, order_by="Tag.name")
    identities = relationship("MemberIdentity", back_populates="member", order_by="MemberIdentity.id")

    @property
    def gender_label(self):
        return GENDER_LABELS.get(self.gender, self.gender)

    @property
    def status_label(self):
        return MEMBER_STATUS_LABELS.get(self.status, self.status)


IDENTITY_KINDS = ("wechat_openid", "wechat_unionid", "alipay_user_id", "card_no")
IDENTITY_LABELS = {
    "wechat_openid": "微信 openid",
    "wechat_unionid": "微信 unionid",
    "alipay_user_id": "支付宝 user_id",
    "card_no": "实体卡号",
}


class MemberIdentity(TenantMixin, CreatedAtMixin, Base):
    """One way to recognise a member. app_id scopes openids to one official account; '' elsewhere."""

    __tablename__ = "member_identities"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "kind", "app_id", "value"),
        sa.CheckConstraint(f"kind IN {IDENTITY_KINDS!r}", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    app_id: Mapped[str] = mapped_column(sa.String(64), nullable=False, default="")
    value: Mapped[str] = mapped_column(sa.String(128), nullable=False)
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    # A physical card's life: reported lost (stops working), replaced by another number, or returned (closed).
    lost_at = mapped_column(UTCDateTime())
    closed_at = mapped_column(UTCDateTime())
    replaced_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("member_identities.id", ondelete="SET NULL"))

    member = relationship("Member", back_populates="identities")

    @property
    def kind_label(self):
        return IDENTITY_LABELS.get(self.kind, self.kind)


FIELD_TYPES = ("text", "number", "date", "select", "boolean")
FIELD_TYPE_LABELS = {"text": "文本", "number": "数字", "date": "日期", "select": "单选", "boolean": "是/否"}


class MemberFieldDef(TenantMixin, CreatedAtMixin, Base):
    """A merchant-defined member attribute (industry field), e.g. 身高 for a gym, 车牌号 for a car wash."""

    __tablename__ = "member_field_defs"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "key"),
        sa.CheckConstraint(f"field_type IN {FIELD_TYPES!r}", name="type_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    label: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    field_type: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="text")
    options: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    required: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)

    @property
    def type_label(self):
        return FIELD_TYPE_LABELS.get(self.field_type, self.field_type)


class Tag(TenantMixin, CreatedAtMixin, Base):
    __tablename__ = "tags"
    __table_args__ = (sa.UniqueConstraint("merchant_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(30), nullable=False)


class Fan(TenantMixin, CreatedAtMixin, Base):
    """A WeChat follower of the merchant's official account; may or may not be a member."""

    __tablename__ = "fans"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "app_id", "openid"),
        # a day's follows and unfollows (services/reports/family_members.py)
        sa.Index("ix_fans_merchant_subscribed", "merchant_id", "subscribed_at"),
        sa.Index("ix_fans_merchant_unsubscribed", "merchant_id", "unsubscribed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    openid: Mapped[str] = mapped_column(sa.String(128), nullable=False)
    unionid: Mapped[str | None] = mapped_column(sa.String(128))
    nickname: Mapped[str | None] = mapped_column(sa.String(100))
    subscribed: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    subscribe_scene: Mapped[str | None] = mapped_column(sa.String(64))
    qr_scene: Mapped[str | None] = mapped_column(sa.String(128))
    subscribed_at = mapped_column(UTCDateTime())
    unsubscribed_at = mapped_column(UTCDateTime())
    member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="SET NULL"), index=True)

    member = relationship("Member")


class LevelChange(TenantMixin, CreatedAtMixin, Base):
    """History of a member's level: automatic upgrades and manual changes."""

    __tablename__ = "level_changes"
    # the changes since a day's end give each member's level at that end (services/reports/family_members.py)
    __table_args__ = (sa.Index("ix_level_changes_merchant_created", "merchant_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False, index=True)
    from_level_id: Mapped[int | None] = mapped_column(sa.ForeignKey("levels.id", ondelete="SET NULL"))
    to_level_id: Mapped[int | None] = mapped_column(sa.ForeignKey("levels.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(sa.String(16), nullable=False)  # auto | manual | join
    note: Mapped[str | None] = mapped_column(sa.String(200))
    operator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id", ondelete="SET NULL"))

    from_level = relationship("Level", foreign_keys=[from_level_id])
    to_level = relationship("Level", foreign_keys=[to_level_id])
    operator = relationship("Staff")
