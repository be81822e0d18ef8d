"""A person signed in through WeChat or Alipay claims the member card with a verified phone number.

The phone is the key: the same number from WeChat and from Alipay is one member with two identities.
Concurrent claims of one number (a double submit, or both apps at once) end with one member: the
unique (merchant, mobile) constraint decides, and the loser reuses the winner's row.
"""
from dataclasses import dataclass
from datetime import date
from typing import Optional

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from domain.errors import Conflict, DomainError, IdentityTaken
from domain.fields import clean_values
from domain.phone import mask_mobile, normalise_mobile
from models import Fan, MemberIdentity
from models.member import GENDERS
from services.campaigns import entry as campaign_entry
from services.rewards import follow_gift, gifts as gift_rules
from services.members import fields as member_fields, levels, members, sms_codes
from services.points import ledger as points
from services.recruitment import joining as recruitment
from services.recruitment.attribution import NOBODY
from services.shared.tenancy import scoped
from services.shared.text import optional_text

CHANNELS = ("wechat", "alipay")
IDENTITY_KIND = {"wechat": "wechat_openid", "alipay": "alipay_user_id"}
CHANNEL_LABELS = {"wechat": "微信", "alipay": "支付宝"}


@dataclass(frozen=True)
class ChannelLogin:
    """Who the H5 session belongs to: one WeChat openid (per official account) or one Alipay user id."""

    merchant_id: int
    channel: str
    app_id: str
    user_key: str
    unionid: Optional[str] = None

    @property
    def identity_kind(self):
        return IDENTITY_KIND[self.channel]


@dataclass(frozen=True)
class Profile:
    name: Optional[str] = None
    gender: str = "unknown"
    birthday: object = None
    custom_fields: Optional[dict] = None


def member_for(session, login):
    """The member this login is bound to, or None."""
    return members.find_by_identity(session, login.merchant_id, login.identity_kind, login.user_key, login.app_id)


def check_profile(session, merchant_id, profile):
    """Refuse missing required industry fields (and bad values) before anything is written."""
    clean_values(member_fields.specs(session, merchant_id), profile.custom_fields or {})


def claim(session, merchant, login, *, mobile, code, profile, touch=NOBODY, now=None):
    """Verify the SMS code, then join. Raises SmsCodeRejected, IdentityTaken or DomainError. `touch`: the join code
    or link the visitor came through (services/recruitment), credited with the join."""
    check_profile(session, merchant.id, profile)
    mobile = sms_codes.verify(session, merchant.id, mobile, code, now=now)
    return join(session, merchant, login, mobile=mobile, profile=profile, touch=touch)


def join(session, merchant, login, *, mobile, profile, touch=NOBODY):
    """Bind the login to the member with this (verified) phone, creating the member if needed."""
    if login.merchant_id != merchant.id or login.channel not in CHANNELS:
        raise DomainError("登录状态与商户不符，请重新打开页面")
    mobile = normalise_mobile(mobile)
    bound = member_for(session, login)
    if bound is not None:
        if bound.mobile != mobile:
            raise IdentityTaken(f"该{CHANNEL_LABELS[login.channel]}账号已绑定手机号 {mask_mobile(bound.mobile)}")
        return bound
    member, created = create_or_reuse(session, merchant, mobile, profile)
    # The member's row first (the project's lock order): joins of one phone from several logins at once then
    # bind and take their gifts one after the other, instead of deadlocking on each other's identity rows.
    member = points.lock_member(session, merchant.id, member.id)
    first_claim = not claimed_before(session, member)
    if not created:
        fill_blanks(session, member, profile)
    _bind(session, member, login.identity_kind, login.user_key, login.app_id, login.channel)
    if login.channel == "wechat":
        if login.unionid:
            _bind(session, member, "wechat_unionid", login.unionid, "", login.channel)
        _link_fan(session, merchant, login, member)
    if first_claim:
        # 开卡礼 belongs to the claim that opened the card: a rule created since then is not given when the same
        # member later binds the other app (the grant's key still makes it once per member and rule).
        open_card(session, merchant, member, touch)
    return member


def open_card(session, merchant, member, touch=NOBODY):
    """What opening the card gives, once: 开卡礼 (and the level its growth reaches), the join credited to whoever
    brought the member (services/recruitment), the audience-entry campaigns the new member now matches. Called on
    the first claim in WeChat or Alipay, and by the staff page's assisted join (帮顾客办理), under the member's lock."""
    if gift_rules.gave_growth(gift_rules.registration(session, merchant, member)):
        levels.apply_upgrade(session, member)
    recruitment.after_join(session, merchant, member, touch)
    campaign_entry.after_change(session, merchant.id, member.id)


def update_profile(session, member, profile):
    """The member edits their own name, gender, birthday and industry fields (the phone is changed elsewhere)."""
    specs = member_fields.specs(session, member.merchant_id)
    cleaned = clean_values(specs, profile.custom_fields or {})
    active_keys = {spec.key for spec in specs}
    kept = {k: v for k, v in (member.custom_fields or {}).items() if k not in active_keys}
    member.name = optional_text(profile.name, "姓名", 60)
    if profile.gender not in GENDERS:
        raise DomainError("未知的性别")
    member.gender = profile.gender
    if profile.birthday is not None and (profile.birthday > date.today() or profile.birthday.year < 1900):
        raise DomainError("生日不正确")
    member.birthday = profile.birthday
    member.birthday_month = profile.birthday.month if profile.birthday else None
    member.custom_fields = {**kept, **cleaned}
    session.flush()
    return member


def create_or_reuse(session, merchant, mobile, profile, **extra):
    """The member with this (normalised) phone and whether this call created them. Two requests at once end with
    one member: the unique (merchant, mobile) constraint decides, and the loser reuses the winner's row. `extra`:
    more of create_member's fields for a new member (the staff page's home store)."""
    member = members.find_by_mobile(session, merchant.id, mobile)
    if member is not None:
        return member, False
    try:
        with session.begin_nested():
            return members.create_member(session, merchant.id, mobile=mobile, name=profile.name,
                                         gender=profile.gender or "unknown", birthday=profile.birthday,
                                         custom_fields=profile.custom_fields or {}, **extra), True
    except (IntegrityError, Conflict):
        # Someone else created this phone's member a moment ago: their commit made our insert fail, or came between
        # the look-up above and create_member's own (which then says 该手机号已是会员).
        member = members.find_by_mobile(session, merchant.id, mobile)
        if member is None:
            raise
        return member, False


def claimed_before(session, member):
    """Whether the member already claimed the card through WeChat or Alipay (a login bound, even one since closed).
    Read under the member's lock, so of two claims at once the second sees what the first bound."""
    kinds = (*IDENTITY_KIND.values(), "wechat_unionid")
    return session.scalar(
        scoped(MemberIdentity, member.merchant_id).with_only_columns(MemberIdentity.id)
        .where(MemberIdentity.member_id == member.id, MemberIdentity.kind.in_(kinds)).limit(1)) is not None


def fill_blanks(session, member, profile):
    """An existing member (joined through the other app or at the till) keeps their profile; blanks are filled."""
    specs = member_fields.specs(session, member.merchant_id)
    merged = dict(clean_values(specs, profile.custom_fields or {}))
    merged.update({k: v for k, v in (member.custom_fields or {}).items() if v not in (None, "")})
    member.custom_fields = merged
    if not member.name and profile.name:
        member.name = profile.name.strip()[:60] or None
    if member.gender == "unknown" and profile.gender in ("male", "female"):
        member.gender = profile.gender
    if member.birthday is None and profile.birthday is not None:
        member.birthday, member.birthday_month = profile.birthday, profile.birthday.month
    session.flush()


def _bind(session, member, kind, value, app_id, channel):
    try:
        with session.begin_nested():
            members.bind_identity(session, member, kind, value, app_id)
    except IdentityTaken:
        raise IdentityTaken(f"该{CHANNEL_LABELS[channel]}账号已绑定其他手机号的会员，请使用原手机号领取") from None
    except IntegrityError:
        # A concurrent request bound it first: fine if to this member, refused otherwise.
        owner = session.scalar(scoped(MemberIdentity, member.merchant_id)
                               .with_only_columns(MemberIdentity.member_id)
                               .where(MemberIdentity.kind == kind, MemberIdentity.app_id == app_id,
                                      MemberIdentity.value == value))
        if owner != member.id:
            raise IdentityTaken(f"该{CHANNEL_LABELS[channel]}账号已绑定其他会员") from None


def _link_fan(session, merchant, login, member):
    """The follower becomes this member; a follow gift waiting for them is granted now."""
    merchant_id = merchant.id
    session.execute(
        update(Fan).where(Fan.merchant_id == merchant_id, Fan.app_id == login.app_id, Fan.openid == login.user_key,
                          Fan.member_id.is_(None))
        .values(member_id=member.id).execution_options(synchronize_session=False)
    )
    fan = session.scalars(select(Fan).where(Fan.merchant_id == merchant_id, Fan.app_id == login.app_id,
                                            Fan.openid == login.user_key)
                          .execution_options(populate_existing=True)).one_or_none()
    if fan is not None and fan.member_id == member.id:
        follow_gift.grant_if_member(session, merchant, fan)

