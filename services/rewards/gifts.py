"""Gift rules: 开卡礼 (registration), 关注礼 (follow) and 升级礼 (level_up), the same RewardRule rows as the payment
rules, given through `rewards.give`.

Once only, whatever the retries or races: each grant's idempotency key names the occasion and the rule
(`registration:<member>`, `follow:<fan>`, `level_up:<member>:<level>`, then `:rule:<id>`) under the unique
(merchant, key) constraint, and every ledger row derives its key from the grant. An upgrade gift is for the first
time a member reaches a level, ever: the unique (member, level) LevelReached row decides, so a member moved down
by hand who climbs back gets nothing more. Two simultaneous requests both try the insert; PostgreSQL makes the
second wait for the first and then fail the unique check, and the loser gives nothing.
"""
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from domain.clock import local_today, now_utc
from models import Merchant, PointsTransaction
from models.rewards import LevelReached, RewardGrant, RewardRule
from services.shared import idempotency, ledger_rows
from services.points import ledger as points
from services.rewards import after_payment as rewards

# Keys of the gifts given before they were rules (settings points): whoever had one gets no rule gift for it.
LEGACY_KEYS = {"registration": "registration-gift:{id}", "follow": "follow-gift:{id}"}


def registration(session, merchant, member, now=None):
    """开卡礼 for a member who has just claimed the card (once per member, whatever the channel)."""
    if _legacy_given(session, merchant.id, "registration", member.id):
        return []
    member = points.lock_member(session, merchant.id, member.id)  # rewards.give may add growth
    return _grant(session, merchant, "registration", member, f"registration:{member.id}", now)


def follow(session, merchant, fan, now=None):
    """关注礼 for a follower who is a member (once per fan, ever; a follower who is not yet a member gets it when
    they claim the card, through member_join)."""
    if fan is None or fan.member_id is None or _legacy_given(session, merchant.id, "follow", fan.id):
        return []
    member = points.lock_member(session, merchant.id, fan.member_id)
    return _grant(session, merchant, "follow", member, f"follow:{fan.id}", now)


def level_reached(session, member, level, now=None):
    """升级礼 of `level`, the first time this member reaches it; later reaches give nothing."""
    now = now or now_utc()
    member = points.lock_member(session, member.merchant_id, member.id)  # usually held already (payment, top-up)
    if not _first_reach(session, member, level, now):
        return []
    merchant = session.get(Merchant, member.merchant_id)
    return _grant(session, merchant, "level_up", member, f"level_up:{member.id}:{level.id}", now, level_id=level.id)


def points_rule(merchant_id, kind, name, amount):
    """A new active rule of `kind` giving `amount` points (demo data, and what the old settings were)."""
    return RewardRule(merchant_id=merchant_id, kind=kind, name=name, all_stores=True, level_ids=[],
                      for_non_members=False, min_paid=0, active=True,
                      rewards={"points": amount, "growth": 0, "coupons": [], "count_cards": []})


def pending_offer(session, merchant, kind):
    """What the active rules of a kind would give, in words (the welcome message of a follower not yet a member)."""
    return "；".join(rewards.offer_text(session, rule.rewards) for rule in _rules(session, merchant, kind, now_utc()))


def _grant(session, merchant, kind, member, occasion, now, level_id=None):
    """Every active rule of the kind, once each; returns [(rule, text given)] for the rules granted now."""
    now = now or now_utc()
    given = []
    for rule in _rules(session, merchant, kind, now, level_id):
        grant = ledger_rows.insert(session, RewardGrant, dict(
            merchant_id=merchant.id, rule_id=rule.id, member_id=member.id, state="granted",
            idempotency_key=f"{occasion}:rule:{rule.id}", created_at=now)).row
        if grant is None:
            continue  # given before (a retry, or a concurrent request that won)
        given.append((rule, rewards.give(session, merchant, grant, member, now)))
    return given


def gave_growth(given):
    """Whether the gifts given ([(rule, text)]) included growth, which may move the member up a level: the
    caller then applies the upgrade (services/members/levels.py; 升级礼 rules give no growth, so it ends there)."""
    return any(rule.rewards.get("growth") for rule, _text in given)


def _rules(session, merchant, kind, now, level_id=None):
    today = local_today(merchant.timezone, now)
    query = select(RewardRule).where(
        RewardRule.merchant_id == merchant.id, RewardRule.kind == kind, RewardRule.active.is_(True),
        or_(RewardRule.starts_on.is_(None), RewardRule.starts_on <= today),
        or_(RewardRule.ends_on.is_(None), RewardRule.ends_on >= today))
    if level_id is not None:
        query = query.where(RewardRule.level_id == level_id)
    return session.scalars(query.order_by(RewardRule.id)).all()


def _first_reach(session, member, level, now):
    try:
        with session.begin_nested():
            session.add(LevelReached(merchant_id=member.merchant_id, member_id=member.id, level_id=level.id,
                                     created_at=now))
            session.flush()
    except IntegrityError:
        return False
    return True


def _legacy_given(session, merchant_id, kind, row_id):
    """Read-only: no legacy row is written any more, so this check cannot race with a new one."""
    key = LEGACY_KEYS[kind].format(id=row_id)
    return idempotency.find_existing(session, PointsTransaction, merchant_id, key) is not None
