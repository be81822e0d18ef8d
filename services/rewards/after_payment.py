"""After a payment at the till: the post-payment rewards (支付后营销), the receipt coupon QR (会员消费优惠券), and the
top-up nudge, recorded on the checkout for the receipt.

`apply` runs inside `checkout_payment.pay`, whose transaction already holds the member's row lock, so counting a
rule's earlier grants for the limits and inserting the new grant cannot interleave with another payment of the
same member. Every grant's key derives from (checkout, rule), and every ledger row from the grant: a payment is
rewarded once. A walk-in, or a receipt-coupon rule, gets a one-time claim token instead; only its sha256 is kept
in reward_grants, while the URL (the customer's own receipt) is kept on the checkout so the receipt can be
printed again. Claiming is a conditional UPDATE pending_claim -> claimed: of many scans exactly one wins.
Refunds do not take rewards back (the refund page says so).
"""
import hashlib
import secrets

from sqlalchemy import func, or_, select, update

from domain.clock import local_today, now_utc
from domain.errors import Conflict, DomainError, NotFound
from models import CardTemplate, CouponTemplate
from models.rewards import PAYMENT_KINDS, RewardGrant, RewardRule
from services.cards import count_timed_issue
from services.coupons import issue as coupon_issue
from services.shared import host, ledger_rows, merchant_memory
from services.points import ledger as points
from services.wallet import topup_nudge

CHANNEL = "receipt_qr"
# Coupon channels of the gifts (models.coupons.CHANNELS): registration and upgrade gifts are given in the member's H5.
GIFT_CHANNELS = {"follow": "follow_gift", "registration": "h5", "level_up": "h5"}
REASONS = {"post_payment": "支付后营销赠送", "receipt_coupon": "支付后营销赠送", "registration": "开卡礼",
           "follow": "关注礼"}


def apply(session, merchant, actor, checkout, member, now=None):
    """What this payment earns under the active rules, given or made claimable; returns the receipt's lines."""
    now = now or now_utc()
    lines = []
    for rule in _rules_for(session, merchant, checkout, member, now):
        if member is not None and not _within_limits(session, rule, member.id, checkout.store_id):
            continue
        claimable = rule.kind == "receipt_coupon" or member is None
        grant = _grant_row(session, merchant, rule, checkout, member, claimable, now)  # the payer counts for limits
        if grant is None:
            continue
        if claimable:
            lines.append(_claim_line(session, merchant, rule, grant.token))
        else:
            lines.append({"kind": "granted", "rule": rule.name, "text": give(session, merchant, grant, member, now)})
    if member is not None:
        nudge = topup_nudge.offer(session, merchant, member, now)
        lines += [{"kind": "nudge", "text": text} for text in (nudge.lines if nudge else ())]
    return lines


merchant_memory.watch(RewardRule, "has_payment_rules")


def _rules_for(session, merchant, checkout, member, now):
    if not _has_payment_rules(session, merchant.id):
        return []  # every till payment asks; most merchants run no post-payment rule most of the time
    today = local_today(merchant.timezone, now)
    rules = session.scalars(select(RewardRule).where(
        RewardRule.merchant_id == merchant.id, RewardRule.kind.in_(PAYMENT_KINDS), RewardRule.active.is_(True),
        RewardRule.min_paid <= checkout.pay,
        or_(RewardRule.starts_on.is_(None), RewardRule.starts_on <= today),
        or_(RewardRule.ends_on.is_(None), RewardRule.ends_on >= today)).order_by(RewardRule.id)).all()
    return [r for r in rules if _store_matches(r, checkout.store_id) and _who_matches(r, member)]


def _has_payment_rules(session, merchant_id):
    return merchant_memory.recall("has_payment_rules", merchant_id, lambda: session.scalar(select(
        select(RewardRule.id).where(RewardRule.merchant_id == merchant_id, RewardRule.kind.in_(PAYMENT_KINDS),
                                    RewardRule.active.is_(True)).exists())))


def _store_matches(rule, store_id):
    return rule.all_stores or any(s.id == store_id for s in rule.stores)


def _who_matches(rule, member):
    if member is None:
        return rule.for_non_members or (rule.kind == "receipt_coupon" and not rule.level_ids)
    return not rule.level_ids or member.level_id in rule.level_ids


def _within_limits(session, rule, member_id, store_id, exclude_id=None):
    """Counted on grants while the member's row is locked (by pay, or by claim below); a claim excludes its own
    grant, which already names the paying member."""
    def used(*extra):
        return session.scalar(select(func.count()).select_from(RewardGrant).where(
            RewardGrant.rule_id == rule.id, RewardGrant.member_id == member_id, RewardGrant.id != (exclude_id or 0),
            *extra))
    if rule.per_member_limit is not None and used() >= rule.per_member_limit:
        return False
    return rule.per_member_store_limit is None or used(RewardGrant.store_id == store_id) < rule.per_member_store_limit


def _grant_row(session, merchant, rule, checkout, member, claimable, now):
    token = secrets.token_urlsafe(24) if claimable else None
    row = ledger_rows.insert(session, RewardGrant, dict(
        merchant_id=merchant.id, rule_id=rule.id, checkout_id=checkout.id, store_id=checkout.store_id,
        member_id=member.id if member else None, state="pending_claim" if claimable else "granted",
        token_hash=hash_token(token) if token else None, idempotency_key=f"checkout:{checkout.id}:reward:{rule.id}",
        created_at=now)).row
    if row is None:
        return None  # already rewarded: pay never re-runs, but a retried apply must not give twice
    row.token = token
    return row


def _claim_line(session, merchant, rule, token):
    return {"kind": "claim", "rule": rule.name, "text": offer_text(session, rule.rewards),
            "url": host.external_url("member_h5.reward_claim", merchant_slug=merchant.slug, token=token)}


def hash_token(token):
    return hashlib.sha256((token or "").encode()).hexdigest()


def give(session, merchant, grant, member, now):
    """The rule's rewards to the member, each ledger key derived from the grant; returns what was given in words.
    A coupon or card that can no longer be given (stopped, out of stock, limit) is skipped: the payment stands."""
    rewards, given = grant.rule.rewards, []
    base = f"reward:{grant.id}"
    channel = GIFT_CHANNELS.get(grant.rule.kind, CHANNEL)
    if rewards.get("points"):
        reference = ("checkout", grant.checkout_id) if grant.checkout_id else ("reward_grant", grant.id)
        points.earn(session, merchant, member.id, rewards["points"], key=f"{base}:points", reason=reason_of(grant.rule),
                    reference=reference, store_id=grant.store_id, now=now)
        given.append(f"{rewards['points']} 积分")
    if rewards.get("growth"):
        member.growth = (member.growth or 0) + rewards["growth"]  # the caller holds this member's row lock
        given.append(f"{rewards['growth']} 成长值")
    for entry in rewards.get("coupons", ()):
        for n in range(entry["count"]):
            if _try(session, lambda: coupon_issue.claim(session, merchant, entry["template_id"], member.id,
                                                        channel=channel,
                                                        key=f"{base}:coupon:{entry['template_id']}:{n}", now=now)):
                given.append(_title(session, CouponTemplate, entry["template_id"]))
    for entry in rewards.get("count_cards", ()):
        if _try(session, lambda: count_timed_issue.issue(session, merchant, entry["template_id"], member.id,
                                                         channel=channel, key=f"{base}:card:{entry['template_id']}",
                                                         now=now)):
            given.append(_title(session, CardTemplate, entry["template_id"]))
    session.flush()
    return "、".join(given) or "（奖励已发完）"


def reason_of(rule):
    """How the member's points history names the gift (开卡礼, 升级礼：金卡)."""
    if rule.kind == "level_up":
        return f"升级礼：{rule.level.name}" if rule.level is not None else "升级礼"
    return REASONS.get(rule.kind, "营销赠送")


def _try(session, action):
    try:
        with session.begin_nested():
            action()
        return True
    except DomainError:
        return False


def _title(session, model, template_id):
    row = session.get(model, template_id)
    return row.title if row is not None else ""


def describe(rewards):
    parts = [f"{rewards['points']} 积分"] if rewards.get("points") else []
    parts += [f"{rewards['growth']} 成长值"] if rewards.get("growth") else []
    parts += [f"优惠券 {len(rewards.get('coupons', ()))} 种"] if rewards.get("coupons") else []
    parts += [f"次卡 {len(rewards.get('count_cards', ()))} 张"] if rewards.get("count_cards") else []
    return "、".join(parts)


def offer_text(session, rewards):
    """What a rule gives, with the coupon and card names (the receipt and the claim page)."""
    parts = [f"{rewards['points']} 积分"] if rewards.get("points") else []
    parts += [f"{rewards['growth']} 成长值"] if rewards.get("growth") else []
    parts += [f"{_title(session, CouponTemplate, c['template_id'])} ×{c['count']}" for c in rewards.get("coupons", ())]
    parts += [_title(session, CardTemplate, c["template_id"]) for c in rewards.get("count_cards", ())]
    return "、".join(parts)


def pending(session, merchant_id, token):
    """The grant behind a claim token (any state), or NotFound."""
    grant = session.scalars(select(RewardGrant).where(RewardGrant.merchant_id == merchant_id,
                                                      RewardGrant.token_hash == hash_token(token))).one_or_none()
    if grant is None or grant.token_hash is None:
        raise NotFound("领取码无效")
    return grant


def claim(session, merchant, token, member_id, now=None):
    """The member takes a pending reward, once: the conditional UPDATE decides between simultaneous scans."""
    now = now or now_utc()
    grant = pending(session, merchant.id, token)
    member = points.lock_member(session, merchant.id, member_id)
    if grant.state != "pending_claim":
        raise Conflict("该奖励已领取，不能重复领取")
    if not _within_limits(session, grant.rule, member.id, grant.store_id, exclude_id=grant.id):
        raise Conflict("您已达到该活动的奖励次数上限")
    won = session.execute(update(RewardGrant).where(RewardGrant.id == grant.id, RewardGrant.state == "pending_claim")
                          .values(state="claimed", member_id=member.id, claimed_at=now)
                          .execution_options(synchronize_session=False)).rowcount
    if not won:
        raise Conflict("该奖励已领取，不能重复领取")
    session.refresh(grant)
    return give(session, merchant, grant, member, now)
