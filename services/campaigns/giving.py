"""A chunk of a run's members given the run's rewards, set-based (services/issuance), within the campaign's budget.

The budget (coupons and points in total across all runs) is taken under the campaign's row lock, held to the
chunk's commit: two workers on one campaign each see what the other took, and the last chunk is cut to what is
left. When it is spent the campaign ends and says so. Keys name the campaign, the run and the member, so a chunk
tried again after a crash gives nothing twice.
"""
from dataclasses import dataclass, field

from sqlalchemy import select

from domain.errors import DomainError
from models import Campaign, Member
from services.cards import count_timed_issue
from services.issuance import coupon_picks, coupons as coupon_issuance, points as points_issuance
from services.members import levels

BUDGET_SPENT = "预算已用完"


@dataclass
class Given:
    rewarded: set = field(default_factory=set)
    coupons: int = 0
    points: int = 0
    skipped: dict = field(default_factory=dict)  # member id -> reason
    notes: list = field(default_factory=list)  # why something stopped (a template out of stock, the budget)
    budget_spent: bool = False


def give(session, merchant, campaign_id, run, member_ids, now, picked=None):
    """The run's rewards to the members (ids ascending); returns Given. `picked(n)`: a select of the first n of
    these members' ids, which the coupons' statement reads instead of the list."""
    rewards, given = run.rewards, Given()
    allowed = _within_budget(session, campaign_id, rewards, member_ids, given)
    prefix = f"c{campaign_id}r{run.id}:"
    occasion = coupon_issuance.Occasion(prefix, "campaign", campaign_id=campaign_id, numbered=True)
    for entry in rewards.get("coupons", ()):
        if picked is None:
            issued = coupon_issuance.issue(session, merchant, entry["template_id"], allowed, occasion,
                                           per_member=entry["count"], now=now)
        else:
            issued = coupon_picks.issue_to(session, merchant, entry["template_id"], picked(len(allowed)), occasion,
                                           count=len(allowed), per_member=entry["count"], now=now)
        given.coupons += len(issued.member_ids)
        given.rewarded.update(issued.member_ids)
        if issued.stop:
            given.notes.append(issued.stop)
    if rewards.get("points"):
        earned = points_issuance.earn(session, merchant, allowed, rewards["points"], prefix=f"{prefix}p:",
                                      note="营销活动赠送", reference=("campaign", campaign_id), now=now)
        given.points += rewards["points"] * len(earned)
        given.rewarded.update(earned)
    if rewards.get("growth"):
        grown = points_issuance.add_growth(session, merchant.id, allowed, rewards["growth"])
        given.rewarded.update(grown)
        _reevaluate_levels(session, merchant.id, grown)
    for entry in rewards.get("count_cards", ()):
        given.rewarded.update(_count_cards(session, merchant, entry["template_id"], allowed, prefix, now))
    _charge_budget(session, campaign_id, given)
    for member_id in member_ids:
        if member_id not in given.rewarded:
            given.skipped[member_id] = "budget" if member_id not in allowed else "nothing_left"
    return given


def _within_budget(session, campaign_id, rewards, member_ids, given):
    campaign = session.get(Campaign, campaign_id)
    if campaign.budget_coupons is None and campaign.budget_points is None:
        return list(member_ids)
    campaign = _lock(session, campaign_id)
    room = len(member_ids)
    per_member_coupons = sum(entry["count"] for entry in rewards.get("coupons", ()))
    if campaign.budget_coupons is not None and per_member_coupons:
        room = min(room, max(0, campaign.budget_coupons - campaign.used_coupons) // per_member_coupons)
    if campaign.budget_points is not None and rewards.get("points"):
        room = min(room, max(0, campaign.budget_points - campaign.used_points) // rewards["points"])
    if room < len(member_ids):
        given.budget_spent = True
        given.notes.append(BUDGET_SPENT)
    return list(member_ids[:room])


def _charge_budget(session, campaign_id, given):
    campaign = session.get(Campaign, campaign_id)
    if campaign.budget_coupons is None and campaign.budget_points is None:
        return
    campaign = _lock(session, campaign_id)  # held already: this re-reads the row
    campaign.used_coupons += given.coupons
    campaign.used_points += given.points
    if (campaign.budget_coupons is not None and campaign.used_coupons >= campaign.budget_coupons) or (
            campaign.budget_points is not None and campaign.used_points >= campaign.budget_points):
        given.budget_spent = True
        if BUDGET_SPENT not in given.notes:
            given.notes.append(BUDGET_SPENT)


def _lock(session, campaign_id):
    return session.scalars(select(Campaign).where(Campaign.id == campaign_id).with_for_update()
                           .execution_options(populate_existing=True)).one()


def _reevaluate_levels(session, merchant_id, member_ids):
    """Growth may lift a member a level; only the members given growth are looked at."""
    for member in session.scalars(select(Member).where(Member.merchant_id == merchant_id,
                                                       Member.id.in_(list(member_ids)))):
        levels.apply_upgrade(session, member)


def _count_cards(session, merchant, template_id, member_ids, prefix, now):
    """A count card per member: each is a card with its own uses and history, issued by the card service."""
    given = []
    for member_id in member_ids:
        try:
            with session.begin_nested():
                count_timed_issue.issue(session, merchant, template_id, member_id, channel="campaign",
                                        key=f"{prefix}{member_id}:card:{template_id}", now=now)
            given.append(member_id)
        except DomainError:
            continue  # the card stopped or ran out: the member still gets the rest
    return given
