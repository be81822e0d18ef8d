"""Members: joining, profile edits, identities, tags, and the back-office search."""
from datetime import date

from sqlalchemy import func, select

from domain import roles
from domain.clock import DEFAULT_TIMEZONE
from domain.errors import Conflict, DomainError, IdentityTaken, NotFound
from domain.fields import clean_values
from domain.phone import normalise_mobile
from models import Member, MemberIdentity, Tag
from models.member import GENDERS, IDENTITY_KINDS
from services.audiences import filters as audience_filters
from services.card_stock import binding as card_stock
from services.merchant import audit
from services.members import levels, fields as member_fields
from services.wallet import journal as wallet
from services.shared.tenancy import get_owned, owned_ids, scoped
from services.shared.text import optional_text
from models import Staff, Store

PROFILE_FIELDS = ("mobile", "name", "gender", "birthday", "custom_fields", "guide_id", "referrer_id",
                  "home_store_id", "status", "tag_ids")


def create_member(session, merchant_id, *, mobile, name=None, gender="unknown", birthday=None, custom_fields=None,
                  guide_id=None, referrer_id=None, home_store_id=None, tag_ids=(), actor=None):
    """A new member at the lowest level with an empty wallet. The phone number is the key."""
    mobile = normalise_mobile(mobile)
    if find_by_mobile(session, merchant_id, mobile) is not None:
        raise Conflict("该手机号已是会员", mobile=mobile)
    member = Member(merchant_id=merchant_id, mobile=mobile, status="active", custom_fields={},
                    points_balance=0, total_spend=0, total_topup=0, visit_count=0)
    # Checked before the row joins the session, so a refused member leaves nothing behind.
    with session.no_autoflush:
        _apply_profile(session, member, name=name, gender=gender, birthday=birthday,
                       custom_fields=custom_fields or {}, guide_id=guide_id, referrer_id=referrer_id,
                       home_store_id=home_store_id, tag_ids=tag_ids)
    session.add(member)
    session.flush()
    levels.apply_upgrade(session, member)
    wallet.member_wallet(session, merchant_id, member.id)
    if actor is not None:
        audit.record(session, actor, "member.create", "member", member.id, after=_snapshot(member))
    return member


def update_member(session, actor, member, *, mobile, name=None, gender="unknown", birthday=None, custom_fields=None,
                  guide_id=None, referrer_id=None, home_store_id=None, tag_ids=(), status="active"):
    before = _snapshot(member)
    mobile = normalise_mobile(mobile)
    if mobile != member.mobile:
        other = find_by_mobile(session, member.merchant_id, mobile)
        if other is not None:
            raise Conflict("该手机号已被其他会员使用")
        member.mobile = mobile
    if status not in ("active", "disabled"):
        raise DomainError("未知的会员状态")
    member.status = status
    _apply_profile(session, member, name=name, gender=gender, birthday=birthday, custom_fields=custom_fields or {},
                   guide_id=guide_id, referrer_id=referrer_id, home_store_id=home_store_id, tag_ids=tag_ids)
    session.flush()
    changed_before, changed_after = audit.changed_only(before, _snapshot(member))
    if changed_after:
        audit.record(session, actor, "member.update", "member", member.id, changed_before, changed_after)
    return member


def register_real_name(session, actor, member, name):
    """Staff write down the real name of a member who has none (a prepaid purchase above the real-name amount,
    at the counter), audited; a member who already has a name keeps it."""
    name = optional_text(name, "真实姓名", 60)
    if not name:
        raise DomainError("请填写会员的真实姓名", field="real_name")
    if (member.name or "").strip():
        return member
    member.name = name
    session.flush()
    audit.record(session, actor, "member.update", "member", member.id, {"name": None}, {"name": name})
    return member


def find_by_mobile(session, merchant_id, mobile):
    return session.scalars(scoped(Member, merchant_id).where(Member.mobile == mobile)).one_or_none()


def find_by_identity(session, merchant_id, kind, value, app_id=""):
    identity = session.scalars(
        scoped(MemberIdentity, merchant_id).where(MemberIdentity.kind == kind, MemberIdentity.app_id == app_id,
                                                  MemberIdentity.value == value, MemberIdentity.active.is_(True))
    ).one_or_none()
    return identity.member if identity is not None else None


def bind_identity(session, member, kind, value, app_id="", actor=None):
    """Attach a WeChat/Alipay id or a physical card number. Refused if it already belongs to someone else."""
    if kind not in IDENTITY_KINDS:
        raise DomainError("未知的身份类型")
    value = (value or "").strip()
    if not value or len(value) > 128:
        raise DomainError("身份标识不能为空且不超过 128 个字符")
    if kind == "card_no":  # a swiped stripe or scanned barcode binds the number printed on the card
        value = card_stock.printed_number(session, member.merchant_id, value)
    existing = session.scalars(
        scoped(MemberIdentity, member.merchant_id).where(MemberIdentity.kind == kind, MemberIdentity.app_id == app_id,
                                                         MemberIdentity.value == value)
    ).one_or_none()
    if existing is not None:
        if existing.member_id != member.id:
            raise IdentityTaken("该身份已绑定到其他会员，不能重复绑定", kind=kind)
        if existing.closed_at is not None or existing.lost_at is not None:
            raise IdentityTaken("该卡号已挂失或作废，不能再使用", kind=kind)
        return existing
    if kind == "card_no":  # the physical card stock agrees first (services/card_stock/binding.py)
        card_stock.activate(session, member, value, actor)
    identity = MemberIdentity(merchant_id=member.merchant_id, member_id=member.id, kind=kind, app_id=app_id,
                              value=value, active=True)
    session.add(identity)
    session.flush()
    if actor is not None:
        audit.record(session, actor, "member.bind_identity", "member", member.id,
                     after={"kind": kind, "value": value, "app_id": app_id})
    return identity


def get_visible_member(session, staff, member_id):
    """A member the staff member may see: same merchant, and for a guide only their own customers."""
    member = get_owned(session, Member, staff.merchant_id, member_id)
    if roles.sees_only_own_guided_members(staff.role) and member.guide_id != staff.id:
        raise NotFound("记录不存在")
    return member


def search(staff, *, q=None, level_id=None, gender=None, birthday_month=None, tag_id=None, spend_min=None,
           spend_max=None, visited_within_days=None, not_visited_days=None, now=None):
    """A query for the member list: the staff member's merchant only, filtered as asked (through the audience
    filters, services/audiences/filters.py: one implementation), newest first."""
    chosen = audience_filters.Filters(
        text=q and q.strip()[:64], level_ids=(level_id,) if level_id else (),
        genders=(gender,) if gender in GENDERS else (), birthday_months=(birthday_month,) if birthday_month else (),
        tag_ids=(tag_id,) if tag_id else (), spend_min=spend_min, spend_max=spend_max,
        visited_within_days=visited_within_days or None, not_visited_days=not_visited_days or None)
    # the list's filters count days back from now: no local dates, so no timezone matters here
    query = select(Member).where(*audience_filters.conditions(staff.merchant_id, chosen, DEFAULT_TIMEZONE, now))
    if roles.sees_only_own_guided_members(staff.role):
        query = query.where(Member.guide_id == staff.id)
    return query.order_by(Member.id.desc())


def tags_of_merchant(session, merchant_id):
    return session.scalars(scoped(Tag, merchant_id).order_by(Tag.name)).all()


def ensure_tag(session, merchant_id, name):
    name = (name or "").strip()
    if not name or len(name) > 30:
        raise DomainError("标签名须为 1-30 个字符")
    tag = session.scalars(scoped(Tag, merchant_id).where(Tag.name == name)).one_or_none()
    if tag is None:
        tag = Tag(merchant_id=merchant_id, name=name)
        session.add(tag)
        session.flush()
    return tag


def count_members(session, merchant_id):
    return session.scalar(select(func.count(Member.id)).where(Member.merchant_id == merchant_id))


def _apply_profile(session, member, *, name, gender, birthday, custom_fields, guide_id, referrer_id, home_store_id,
                   tag_ids):
    merchant_id = member.merchant_id
    member.name = optional_text(name, "姓名", 60)
    if gender not in GENDERS:
        raise DomainError("未知的性别")
    member.gender = gender
    if birthday is not None and (not isinstance(birthday, date) or birthday > date.today() or birthday.year < 1900):
        raise DomainError("生日不正确")
    member.birthday = birthday
    member.birthday_month = birthday.month if birthday else None
    specs = member_fields.specs(session, merchant_id)
    active_keys = {spec.key for spec in specs}
    # Values of fields the merchant has since switched off are kept, not silently dropped.
    kept = {k: v for k, v in (member.custom_fields or {}).items() if k not in active_keys}
    member.custom_fields = {**kept, **clean_values(specs, custom_fields)}
    member.guide_id = get_owned(session, Staff, merchant_id, guide_id).id if guide_id else None
    member.home_store_id = get_owned(session, Store, merchant_id, home_store_id).id if home_store_id else None
    if referrer_id:
        referrer = get_owned(session, Member, merchant_id, referrer_id)
        if referrer.id == member.id:
            raise DomainError("推荐人不能是会员本人")
        if member.id is not None and _refers_back(session, merchant_id, referrer, member.id):
            raise DomainError("推荐关系不能形成循环")
        member.referrer_id = referrer.id
    else:
        member.referrer_id = None
    member.tags = owned_ids(session, Tag, merchant_id, tag_ids)


def _refers_back(session, merchant_id, referrer, member_id):
    """Whether `member_id` is already up `referrer`'s chain: referral points walk that chain on every payment."""
    seen, current = set(), referrer
    while current is not None and current.id not in seen:
        if current.referrer_id == member_id:
            return True
        seen.add(current.id)
        current = get_owned(session, Member, merchant_id, current.referrer_id) if current.referrer_id else None
    return False


def _snapshot(member):
    data = audit.snapshot(member, PROFILE_FIELDS[:-1])
    data["tag_ids"] = sorted(t.id for t in member.tags)
    return data
