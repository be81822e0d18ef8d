"""The merchant's 招募设置 (recruit_settings, one row per merchant, made on first save): whether members invite
friends (邀请有礼), whether a later guide's code rebinds a member, and the referral reward table (domain/referrals.py),
checked against the merchant's own active coupons, saved with an audit entry, and said in words."""
from sqlalchemy import select

from domain import roles
from domain.errors import DomainError, NotFound, PermissionDenied
from domain.referrals import clean_rewards, member_lines, paid_levels, preview, REFERRAL_EVENTS
from models import CouponTemplate, RecruitSettings
from services.merchant import audit
from services.shared.insert_once import dialect_insert
from services.shared.tenancy import get_owned, scoped


def get(session, merchant_id):
    """The merchant's settings; the defaults (not stored) until it saves them."""
    row = session.scalars(scoped(RecruitSettings, merchant_id)).one_or_none()
    return row or RecruitSettings(merchant_id=merchant_id, rebind_guide_on_scan=False, invite_enabled=True,
                                  referral_rewards={})


def invite_enabled(session, merchant_id):
    """Whether members may invite friends (a single primary-key read: the member centre asks on every visit)."""
    value = session.scalar(select(RecruitSettings.invite_enabled).where(RecruitSettings.merchant_id == merchant_id))
    return True if value is None else bool(value)


def rewards_of(settings):
    """The stored reward table, normalised; a row edited by hand into nonsense pays nothing rather than failing
    a member's join."""
    try:
        return clean_rewards(settings.referral_rewards or {})
    except DomainError:
        return clean_rewards({})


def save(session, actor, *, invite_enabled, rebind_guide_on_scan, rewards, ip=None):
    """Check and store the settings (owner, admin or operator: recruitment.manage), audited."""
    if not roles.can(actor.role, "recruitment.manage"):
        raise PermissionDenied("没有修改招募设置的权限")
    cleaned = clean_rewards(rewards)
    for event in REFERRAL_EVENTS:
        for _level, _points, template_id in paid_levels(cleaned, event):
            if template_id is not None:
                _usable_template(session, actor.merchant_id, template_id)
    row = _locked_row(session, actor.merchant_id)
    before = _snapshot(row)
    row.invite_enabled, row.rebind_guide_on_scan = bool(invite_enabled), bool(rebind_guide_on_scan)
    row.referral_rewards = cleaned
    session.flush()
    after = _snapshot(row)
    changed_before, changed_after = audit.changed_only(before, after)
    if changed_after:
        audit.record(session, actor, "recruitment.settings", "recruit_settings", actor.merchant_id,
                     before=changed_before, after=changed_after, ip=ip)
    return row


def _usable_template(session, merchant_id, template_id):
    try:
        template = get_owned(session, CouponTemplate, merchant_id, template_id)
    except NotFound:
        raise DomainError("所选优惠券不存在") from None
    if not template.active:
        raise DomainError(f"优惠券「{template.title}」已停止发放，请另选")
    return template


def _locked_row(session, merchant_id):
    """The merchant's row, made if missing (two first saves at once: one insert, both then update it), locked."""
    insert = dialect_insert(session)
    session.execute(insert(RecruitSettings).values(
        merchant_id=merchant_id, rebind_guide_on_scan=False, invite_enabled=True, referral_rewards={})
        .on_conflict_do_nothing(index_elements=["merchant_id"]))
    return session.scalars(scoped(RecruitSettings, merchant_id).with_for_update()
                           .execution_options(populate_existing=True)).one()


def _snapshot(row):
    return {"invite_enabled": bool(row.invite_enabled), "rebind_guide_on_scan": bool(row.rebind_guide_on_scan),
            "referral_rewards": rewards_of(row)}


def coupon_choices(session, merchant_id):
    """[(id, title)] of the merchant's coupons that can be given now, for the reward table's selects."""
    rows = session.execute(select(CouponTemplate.id, CouponTemplate.title)
                           .where(CouponTemplate.merchant_id == merchant_id, CouponTemplate.active.is_(True))
                           .order_by(CouponTemplate.id.desc())).all()
    return [(row.id, row.title) for row in rows]


def titles(session, merchant_id, rewards):
    """{template id: title} of the coupons a reward table names (only the merchant's own)."""
    ids = {template_id for event in REFERRAL_EVENTS for _l, _p, template_id in paid_levels(rewards, event)
           if template_id is not None}
    if not ids:
        return {}
    rows = session.execute(select(CouponTemplate.id, CouponTemplate.title)
                           .where(CouponTemplate.merchant_id == merchant_id, CouponTemplate.id.in_(ids))).all()
    return {row.id: row.title for row in rows}


def preview_sentence(session, merchant_id, rewards, *, invite_enabled):
    """What the rules do, in one paragraph (the settings page, under the table)."""
    return preview(rewards, titles(session, merchant_id, rewards), invite_enabled=invite_enabled)


def what_members_get(session, merchant_id):
    """The lines of the member's invite page: what they get per friend, level by level."""
    rewards = rewards_of(get(session, merchant_id))
    return member_lines(rewards, titles(session, merchant_id, rewards))
