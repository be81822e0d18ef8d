"""付费会员 in the member's H5: the merchant's paid membership plans (price, duration, benefits, the level each
gives), 开通 or 续费 through the normal order and payment flow (services/orders/card_sales.py, member_h5/paying.py),
and the member's own membership as the member centre and 我的 show it.

Anyone signed in through WeChat or Alipay may read the plans (a join code or share link leads here,
member_h5/join_links.py); buying needs the member card, so a visitor who has none claims it first and comes back.
"""
import secrets
from dataclasses import dataclass

from flask import g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import DataRequired, Length

from domain import benefit_cards as benefit_rules
from domain.clock import now_utc
from domain.errors import DomainError, NotFound
from extensions import db
from member_h5 import blueprint
from member_h5.common import attempt, current_login, expired_back, message_page
from member_h5.join_links import stamp_order
from member_h5.paying import channel_context, pay_channel, start_paying
from services.cards import benefit_texts, membership_holdings, membership_plans
from services.members.join import member_for
from services.orders import card_sales
from services.shared.tenancy import checked_id
from web import boundary


class MembershipBuyForm(FlaskForm):
    key = HiddenField(validators=[DataRequired(), Length(max=80)])


@dataclass(frozen=True)
class PlanView:
    """One plan as the page shows it to this visitor."""

    plan: object
    offer: str  # membership_plans.BUY / RENEW / SOLD_OUT / STOPPED / OTHER_RUNNING, or "claim_first"
    lines: list  # [(label, text)] of its benefits
    refusal: str | None  # why this member cannot buy it now, shown instead of the button
    renewed_until: object  # where a renewal bought now would end


@blueprint.route("/membership", endpoint="membership")
@blueprint.route("/membership/<int:template_id>", endpoint="membership")
def membership(template_id=None):
    here = request.full_path.rstrip("?")
    login = current_login()
    if login is None:
        return redirect(url_for("member_h5.index", next=here))
    member = member_for(db.session, login)
    if member is not None and member.status != "active":
        return _disabled()
    g.login, g.member = login, member
    now = now_utc()
    wanted = template_id if template_id is not None else _asked_plan()
    shown = ([membership_plans.get_plan(db.session, g.merchant.id, wanted)] if wanted is not None
             else membership_plans.plans(db.session, g.merchant.id, for_sale=True))
    views = [_plan_view(plan, member, now) for plan in shown]
    mine = membership_holdings.of_member(db.session, g.merchant.id, member.id, now) if member else None
    return render_template("member_h5/membership/plans.html", views=views, mine=mine, member=member,
                           single=wanted is not None, forms={v.plan.id: _buy_form(member) for v in views},
                           levels=membership_plans.level_names(db.session, g.merchant.id),
                           claim_url=url_for("member_h5.claim", next=here), **channel_context())


@blueprint.route("/membership/<int:template_id>/buy", methods=["POST"])
def membership_buy(template_id):
    """Create (or find again, by the form's key) the order, commit it, then hand the browser to the channel."""
    back = url_for("member_h5.membership", template_id=template_id)
    login = current_login()
    if login is None:
        return redirect(url_for("member_h5.index", next=back))
    member = member_for(db.session, login)
    if member is None:
        return redirect(url_for("member_h5.claim", next=back))
    if member.status != "active":
        return _disabled()
    g.login, g.member = login, member
    form = MembershipBuyForm()
    if not form.validate():
        return expired_back(back)
    plan = membership_plans.get_plan(db.session, g.merchant.id, template_id)
    order = attempt(lambda: card_sales.create_order(db.session, g.merchant, member.id, template_id=plan.id,
                                                    channel=pay_channel(), key=form.key.data), back)
    stamp_order(order)
    boundary.commit_now()  # the order exists before its channel hears of it
    return start_paying(order)


def _asked_plan():
    """`?template_id=` as a join link or share sends it; anything but an id of ours ends on the 404 page."""
    text = request.args.get("template_id")
    if text is None or text == "":
        return None
    if not text.isdigit():
        raise NotFound("记录不存在")
    return checked_id(text)


def _plan_view(plan, member, now):
    offer, own = membership_plans.offer(db.session, g.merchant.id, member.id if member else None, plan, now)
    refusal = None
    if member is None and offer == membership_plans.BUY:
        offer = "claim_first"
    elif offer in (membership_plans.BUY, membership_plans.RENEW, membership_plans.OTHER_RUNNING):
        refusal = _refusal(plan, member, now)  # the order's own checks: the gift pack, the other running plan
    renewed = benefit_rules.new_end(own.ends_at, now, plan.valid_days) if own is not None else None
    return PlanView(plan, offer, benefit_texts.benefit_lines(db.session, plan), refusal, renewed)


def _refusal(plan, member, now):
    try:
        card_sales.quote(db.session, g.merchant, member, template_id=plan.id, now=now)
    except DomainError as exc:
        return exc.message
    return None


def _buy_form(member):
    if member is None:
        return None
    form = MembershipBuyForm(formdata=None)
    form.key.data = f"membership:{member.id}:{secrets.token_urlsafe(16)}"
    return form


def _disabled():
    return message_page(_("会员卡已停用"), _("您的会员卡已停用，如有疑问请联系商家。"), 403, icon="warn")


# --- the member's own membership, for the member centre and 我的 ---------------------------------------------------

BADGE_KEY = "member_h5.membership_badge"


@dataclass(frozen=True)
class Badge:
    """What the member centre's badge and tile and the 我的 page say about the member's paid membership."""

    active: bool
    title: str  # the plan's name
    ends_at: object
    href: str


def membership_badge():
    """The signed-in member's paid membership (held now or before), or, where the merchant sells one, an invitation
    to it (active False, no end); None where there is nothing to show. Read once per request."""
    # Kept in the request's environ, not in g: an application context may outlive one request (tests hold one).
    if BADGE_KEY not in request.environ:
        request.environ[BADGE_KEY] = _badge()
    return request.environ[BADGE_KEY]


def _badge():
    member = getattr(g, "member", None)
    if member is None:
        return None
    held = membership_holdings.of_member(db.session, g.merchant.id, member.id, now_utc())
    href = url_for("member_h5.membership")
    if held is not None:
        return Badge(held.active, held.plan.title, held.ends_at, href)
    if membership_plans.plans(db.session, g.merchant.id, for_sale=True):
        return Badge(False, "", None, href)
    return None


@blueprint.context_processor
def membership_helpers():
    # A callable, so only the pages that show the badge pay for its query.
    return {"membership_badge": membership_badge}
