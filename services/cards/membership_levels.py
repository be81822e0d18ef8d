"""The level a paid membership (付费会员) gives: set when it starts, kept through renewals, given back when it ends
by expiry (a periodic job, `expire_due`) or refund, to the identity the merchant chose (过期后身份).

Lock order, as issuing takes it (services/cards/benefit_issue.py): the member's row, then the card's. The expiry
job locks a chunk's members before it moves their cards active -> expired with one conditional UPDATE, so a
renewal at the same moment either extends the card first (it is then no longer due) or waits; a chunk and its
level changes commit together, so a job stopped half-way leaves the rest due for the next run, and a second run
finds nothing due.
"""
from sqlalchemy import or_, select, update

from domain import cards as card_rules
from domain import membership as rules
from domain.cards import BENEFIT
from domain.levels import MemberProgress
from models import Card, CardTemplate, Level, Member
from services.members import levels
from services.points import ledger as points
from services.shared.tenancy import scoped

BATCH = 200


def lock_holder(session, card):
    """Before a membership card changes state outside issuing (a refund): its member's row first."""
    if card.member_id is not None and card.template.membership:
        points.lock_member(session, card.merchant_id, card.member_id)


def started(session, member, template):
    """A membership card was issued or extended: the plan's level, if it gives one above the member's own."""
    if template.membership_level_id is None:
        return None
    level = session.get(Level, template.membership_level_id)
    if level is None or level.merchant_id != member.merchant_id:
        return None
    current = member.level.rank if member.level is not None else None
    if not rules.moves_up_to(current, level.rank):
        return None
    levels.move_for_membership(session, member, level, "paid")
    return level


def ended(session, merchant_id, member_id, template, now, reason):
    """A membership ended (`reason` paid_expiry or paid_refund): a member still on the plan's level moves to the
    level another running plan gives, else to 过期后身份 (or what their figures earn), never below what they earned.
    A member whose level changed since (a manager, or their own spending higher) keeps it."""
    if template.membership_level_id is None:
        return None
    member = points.lock_member(session, merchant_id, member_id)
    if member.level_id != template.membership_level_id:
        return None
    ladder = levels.list_levels(session, merchant_id)
    floor = _running_floor(session, merchant_id, member_id, ladder, now)
    if floor is None and template.after_expiry_level_id is not None:
        floor = next((lv for lv in ladder if lv.id == template.after_expiry_level_id), None)
    target = rules.level_after([lv.to_rule() for lv in ladder], MemberProgress.of(member),
                               floor.to_rule() if floor is not None else None)
    if target is None or target.id == member.level_id:
        return None
    level = next(lv for lv in ladder if lv.id == target.id)
    levels.move_for_membership(session, member, level, reason)
    return level


def _running_floor(session, merchant_id, member_id, ladder, now):
    """The highest level the member's other running plans give, or None."""
    ids = set(session.scalars(
        select(CardTemplate.membership_level_id).join(Card, Card.template_id == CardTemplate.id)
        .where(Card.merchant_id == merchant_id, Card.member_id == member_id, Card.kind == BENEFIT,
               Card.state == card_rules.ACTIVE, or_(Card.ends_at.is_(None), Card.ends_at > now),
               CardTemplate.membership.is_(True),
               CardTemplate.membership_level_id.is_not(None))).all())
    given = [lv for lv in ladder if lv.id in ids]
    return max(given, key=lambda lv: lv.rank) if given else None


def merchants_with_plans(session):
    """Merchants that ever made a paid membership plan: the only ones the expiry job needs to look at."""
    return session.scalars(select(CardTemplate.merchant_id).where(CardTemplate.membership.is_(True))
                           .distinct().order_by(CardTemplate.merchant_id)).all()


def expire_due(session, merchant_id, now, limit=BATCH):
    """One chunk: up to `limit` membership cards past their end move to expired and their members' levels back.
    Returns how many cards it expired (fewer than `limit`: nothing more is due)."""
    plan_ids = select(CardTemplate.id).where(CardTemplate.merchant_id == merchant_id,
                                             CardTemplate.membership.is_(True))
    due = session.execute(
        select(Card.id, Card.member_id).where(Card.merchant_id == merchant_id, Card.template_id.in_(plan_ids),
                                              Card.state == card_rules.ACTIVE, Card.ends_at <= now)
        .order_by(Card.id).limit(limit)).all()
    if not due:
        return 0
    member_ids = sorted({member_id for _card_id, member_id in due if member_id is not None})
    if member_ids:  # in id order, so two runs at once take them in the same order
        session.scalars(scoped(Member, merchant_id).where(Member.id.in_(member_ids)).order_by(Member.id)
                        .with_for_update().execution_options(populate_existing=True)).all()
    expired = session.execute(
        update(Card).where(Card.merchant_id == merchant_id, Card.id.in_([card_id for card_id, _m in due]),
                           Card.state == card_rules.ACTIVE, Card.ends_at <= now)
        .values(state=card_rules.move(BENEFIT, card_rules.ACTIVE, card_rules.EXPIRED), closed_at=now)
        .returning(Card.member_id, Card.template_id).execution_options(synchronize_session=False)).all()
    for member_id, template_id in sorted(expired, key=lambda row: (row[0] or 0, row[1])):
        if member_id is not None:
            ended(session, merchant_id, member_id, session.get(CardTemplate, template_id), now, "paid_expiry")
    session.flush()
    return len(due)
