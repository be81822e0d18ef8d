"""招募推广 and 面对面扫码: whose links a page hands out (the merchant's, a store's or a staff member's), what they
open (the free member card or a paid membership), the join codes of stores and staff, and the tracked link of each
of the nine share channels. Links themselves are made by the caller (`link_of(source)`): services know no host."""
from dataclasses import dataclass

from sqlalchemy import select

from domain.errors import DomainError, NotFound
from domain.recruitment import SHARE_CHANNEL_LABELS, SHARE_CHANNELS
from models import CardTemplate, Merchant, RecruitSource, Staff, Store
from services.recruitment import sources
from services.shared.tenancy import checked_id, get_owned, scoped

OWNER_KINDS = ("merchant", "store", "staff")
OWNER_KIND_LABELS = {"merchant": "商家", "store": "门店", "staff": "店员"}
TARGETS = ("join", "paid_membership")
TARGET_LABELS = {"join": "免费会员", "paid_membership": "付费会员"}
RECRUITS = "members.create"  # the roles that recruit (办理会员): all but the verifier
# What each channel asks of the person sharing, in the order SHARE_CHANNELS lists them.
CHANNEL_HINTS = {
    "im": "复制链接，在客服对话里发给顾客",
    "wechat": "复制链接发给微信好友或微信群，或用微信扫码后分享",
    "moments": "复制链接发到朋友圈，或用微信扫码后分享到朋友圈",
    "qq": "复制链接发给 QQ 好友或 QQ 群",
    "qzone": "复制链接发到 QQ 空间",
    "weibo": "复制链接发到微博",
    "sms": "给顾客手机号发送邀请短信，短信里附带领取链接",
    "poster": "下载海报图片，发给顾客或打印张贴，扫码即可领取",
    "link": "复制链接，粘贴到任何地方",
}


@dataclass(frozen=True)
class Owner:
    """Whose links these are: the merchant's own, a store's, or a staff member's (in one of their stores)."""

    kind: str
    merchant_id: int
    store: Store | None = None
    staff: Staff | None = None

    @property
    def name(self):
        if self.kind == "staff":
            return self.staff.name
        if self.kind == "store":
            return self.store.name
        return ""

    @property
    def query(self):
        """The owner as query arguments, to come back to the same page."""
        values = {"who": self.kind}
        if self.store is not None:
            values["store_id"] = self.store.id
        if self.staff is not None:
            values["staff_id"] = self.staff.id
        return values


@dataclass(frozen=True)
class Target:
    """What the links open: the free card claim, or buying one paid membership (付费会员)."""

    kind: str = "join"
    template: CardTemplate | None = None

    @property
    def template_id(self):
        return self.template.id if self.template is not None else None

    @property
    def query(self):
        return {"target": self.kind, **({"template_id": self.template.id} if self.template is not None else {})}


@dataclass(frozen=True)
class ChannelLink:
    channel: str
    label: str
    hint: str
    url: str
    source_id: int


def owner_of(session, merchant_id, kind, store_id=None, staff_id=None):
    """The owner a page asked for; another merchant's store or staff id is NotFound (a 404), like an unknown one."""
    kind = kind or "merchant"
    if kind not in OWNER_KINDS:
        raise DomainError("请选择商家、门店或店员")
    if kind == "merchant":
        return Owner("merchant", merchant_id)
    if kind == "store":
        if store_id in (None, ""):
            raise DomainError("请选择门店")
        return Owner("store", merchant_id, store=get_owned(session, Store, merchant_id, store_id))
    if staff_id in (None, ""):
        raise DomainError("请选择店员")
    staff = get_owned(session, Staff, merchant_id, staff_id)
    if not staff.active:
        raise DomainError("该店员账号已停用")
    if not staff.can(RECRUITS):
        raise DomainError("该员工的角色不招募会员")
    return staff_owner(session, staff, store_id)


def staff_owner(session, staff, store_id=None):
    """A staff member's links in one store: the store asked for (one they may work in), else their only store."""
    store = None
    if store_id not in (None, ""):
        store = get_owned(session, Store, staff.merchant_id, store_id)
        if not staff.can_act_in(store.id):
            raise NotFound("记录不存在")
    elif staff.is_store_bound and len(staff.stores) == 1:
        store = staff.stores[0]
    return Owner("staff", staff.merchant_id, store=store, staff=staff)


def target_of(session, merchant_id, kind=None, template_id=None):
    """The free card by default; a paid membership only of this merchant's (another merchant's template: 404)."""
    kind = kind or "join"
    if kind not in TARGETS:
        raise DomainError("未知的推广目标")
    if kind == "join":
        return Target()
    if template_id in (None, ""):
        raise DomainError("请选择付费会员卡")
    template = session.scalars(scoped(CardTemplate, merchant_id).where(
        CardTemplate.id == checked_id(template_id), CardTemplate.membership.is_(True))).one_or_none()
    if template is None:
        raise NotFound("记录不存在")
    if template.disabled:
        raise DomainError("该付费会员卡已停用，不能再推广")
    return Target("paid_membership", template)


def membership_templates(session, merchant_id):
    """Paid memberships (付费会员) the merchant can promote: membership card templates still in use."""
    return list(session.scalars(scoped(CardTemplate, merchant_id).where(
        CardTemplate.membership.is_(True), CardTemplate.disabled.is_(False)).order_by(CardTemplate.id)))


def active_stores(session, merchant_id):
    return list(session.scalars(scoped(Store, merchant_id).where(Store.active.is_(True)).order_by(Store.id)))


def recruiting_staff(session, merchant_id):
    """Active staff whose role recruits members (seed 002: every role but the verifier), by name."""
    return [person for person in session.scalars(scoped(Staff, merchant_id).where(Staff.active.is_(True))
                                                 .order_by(Staff.name, Staff.id)) if person.can(RECRUITS)]


def join_code(session, owner, target=None):
    """The join code (面对面扫码) of a store or of a staff member in a store; the merchant has links, not a code."""
    target = target or Target()
    values = {"target": target.kind, "template_id": target.template_id}
    if owner.kind == "store":
        return sources.for_store(session, owner.store, **values)
    if owner.kind == "staff":
        return sources.for_staff(session, owner.staff, store_id=owner.store.id if owner.store else None, **values)
    raise DomainError("请选择门店或店员")


def channel_source(session, owner, channel, target=None):
    """The tracked source of one of the nine channels for this owner and target (made on first use)."""
    target = target or Target()
    values = {"target": target.kind, "template_id": target.template_id}
    if channel not in SHARE_CHANNELS:
        raise DomainError("未知的推广渠道")
    if owner.kind == "store":
        return sources.for_store(session, owner.store, share_channel=channel, **values)
    if owner.kind == "staff":
        return sources.for_staff(session, owner.staff, store_id=owner.store.id if owner.store else None,
                                 share_channel=channel, **values)
    return sources.for_share(session, owner.merchant_id, channel, **values)


def merchant_slug_of_token(session, token):
    """The merchant whose source has this token, for the short link /j/<token> (an SMS has no room for the
    merchant's address); None for a token that is malformed, unknown or (never in practice) held twice."""
    if not isinstance(token, str) or not sources.looks_like_token(token):
        return None
    slugs = session.scalars(select(Merchant.slug).join(RecruitSource, RecruitSource.merchant_id == Merchant.id)
                            .where(RecruitSource.token == token).limit(2)).all()
    return slugs[0] if len(slugs) == 1 else None


def channel_links(session, owner, target, link_of):
    """The nine channels with their labels, what to do with each, and their tracked links."""
    links = []
    for channel in SHARE_CHANNELS:
        source = channel_source(session, owner, channel, target)
        links.append(ChannelLink(channel, SHARE_CHANNEL_LABELS[channel], CHANNEL_HINTS[channel], link_of(source),
                                 source.id))
    return links


def staff_stores_of(session, staff):
    """The stores a staff member may hand out codes for: their own, or every active one for roles bound to none."""
    if staff.is_store_bound:
        return [store for store in staff.stores if store.active]
    return active_stores(session, staff.merchant_id)


def headline_of(owner, target, merchant_name):
    """The poster's and the share card's first line."""
    if target.kind == "paid_membership":
        return f"开通{target.template.title}"
    if owner.kind == "staff":
        return f"{owner.staff.name}邀请您加入{merchant_name}会员"
    return f"加入{merchant_name}会员"
