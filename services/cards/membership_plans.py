"""Paid membership plans (付费会员): a benefit-card template with `membership` set, sold in H5 for money, giving
its benefits (discount, points multiplier, free items, gift pack), optionally a level while it runs, and the
identity the member returns to when it ends (过期后身份). Saving, listing and stopping go through the benefit
template service (services/cards/benefit_templates.py); this module keeps plans apart from ordinary cards and says
what a member may do with one now."""
from domain.errors import NotFound
from models import Level
from services.cards import benefit_templates, membership_holdings
from services.shared.tenancy import scoped

# What the member page offers for a plan
BUY, RENEW, SOLD_OUT, STOPPED, OTHER_RUNNING = "buy", "renew", "sold_out", "stopped", "other_running"


def plans(session, merchant_id, *, for_sale=False):
    """The merchant's plans, newest first; `for_sale`: those not stopped (a delisted one shows sold out)."""
    return benefit_templates.templates(session, merchant_id, for_sale=for_sale, membership=True)


def get_plan(session, merchant_id, plan_id, lock=False):
    """A plan of this merchant; an ordinary benefit card, another kind or another merchant's id is NotFound."""
    template = benefit_templates.get_template(session, merchant_id, plan_id, lock=lock)
    if not template.membership:
        raise NotFound("记录不存在")
    return template


def save_plan(session, actor, plan, **values):
    """Create (plan=None) or update a plan: benefit-card values plus membership_level_id and
    after_expiry_level_id (None: the level the member's own figures earn)."""
    if plan is not None and not plan.membership:
        raise NotFound("记录不存在")
    return benefit_templates.save_template(session, actor, plan, membership=True, **values)


def offer(session, merchant_id, member_id, plan, now):
    """(what the page offers, the running card of this plan or None) for a member (None: not a member yet, who
    claims the card first and is offered to buy)."""
    mine = membership_holdings.running(session, merchant_id, member_id, now) if member_id is not None else []
    own = next((card for card in mine if card.template_id == plan.id), None)
    if plan.disabled:
        return STOPPED, own
    if not plan.listed or (plan.stock_total is not None and plan.stock_issued >= plan.stock_total):
        return SOLD_OUT, own
    if own is not None:
        return RENEW, own
    if mine:
        return OTHER_RUNNING, None
    return BUY, None


def level_names(session, merchant_id):
    """{level id: name} of the merchant's levels, for the plan list and pages."""
    return {level.id: level.name for level in session.scalars(scoped(Level, merchant_id).order_by(Level.rank))}
