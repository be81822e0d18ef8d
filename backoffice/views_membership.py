"""付费会员 in the back office: the merchant's paid membership plans (created and edited with the benefit card form
plus the two levels), listed, delisted and stopped; who holds one and until when; taking one back (owner/admin)
through the benefit card refund, which also gives the level back; the refund records."""
from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from backoffice import blueprint
from backoffice.benefit_card_screens import card_of_kind, refund_page, template_action, template_form_page
from backoffice.common import merchant_id, member_page_url, parse_int, requires, template_form
from backoffice.forms_membership import MembershipPlanForm, MembershipRefundForm, plan_data
from domain.clock import now_utc
from domain.errors import NotFound
from extensions import db
from services.cards import benefit_holdings, benefit_refunds, benefit_texts, membership_holdings, membership_plans
from services.members import levels as level_service

FORM = "backoffice/membership/form.html"
REFUND = "backoffice/membership/refund.html"
HOLDER_STATES = {"active": _l("生效中"), "all": _l("全部（含已到期、已退款）")}
HOLDERS_PER_PAGE = 50


def _plan(plan_id):
    try:
        return membership_plans.get_plan(db.session, merchant_id(), plan_id)
    except NotFound:
        abort(404)


@blueprint.route("/membership")
@requires("cards.manage")
def membership_plans_page():
    mid = merchant_id()
    return render_template("backoffice/membership/list.html",
                           plans=membership_plans.plans(db.session, mid),
                           holding=membership_holdings.active_counts(db.session, mid, now_utc()),
                           levels=membership_plans.level_names(db.session, mid),
                           lines=lambda t: benefit_texts.benefit_lines(db.session, t),
                           page_url=lambda t: member_page_url(f"membership/{t.id}"))


@blueprint.route("/membership/new", methods=["GET", "POST"])
@requires("cards.manage")
def membership_plan_new():
    return _save(None)


@blueprint.route("/membership/<int:plan_id>/edit", methods=["GET", "POST"])
@requires("cards.manage")
def membership_plan_edit(plan_id):
    return _save(_plan(plan_id))


def _save(plan):
    form = template_form(MembershipPlanForm, plan, plan_data, new_data={"valid_days": 365})
    form.setup(level_service.list_levels(db.session, merchant_id()))
    context = {"plan": plan, "sale_title": _("方案与价格"), "pack_title": _("开通礼包（开通或续费时赠送的优惠券）")}
    return template_form_page(FORM, form, plan, context, lambda pack: membership_plans.save_plan(
        db.session, current_user, plan, **form.values(pack)),
        done=_("付费会员方案已保存"), back=url_for("backoffice.membership_plans_page"))


@blueprint.route("/membership/<int:plan_id>/<any(list, delist, disable, enable):action>", methods=["POST"])
@requires("cards.manage")
def membership_plan_action(plan_id, action):
    return template_action(_plan(plan_id), action, url_for("backoffice.membership_plans_page"))


@blueprint.route("/membership/holders")
@requires("cards.manage")
def membership_holders():
    mid, now = merchant_id(), now_utc()
    plans = membership_plans.plans(db.session, mid)
    plan_id = request.args.get("plan", "")
    plan = _plan(plan_id) if plan_id else None
    state = request.args.get("state") if request.args.get("state") in HOLDER_STATES else "active"
    pagination = db.paginate(membership_holdings.holders_query(mid, plan_id=plan.id if plan else None,
                                                               only_active=state == "active", now=now),
                             page=max(parse_int(request.args.get("page"), 1) or 1, 1), per_page=HOLDERS_PER_PAGE,
                             error_out=False)
    return render_template("backoffice/membership/holders.html", pagination=pagination, plans=plans, plan=plan,
                           state=state, states=HOLDER_STATES,
                           pager_args={"plan": plan.id if plan else "", "state": state},
                           state_text=lambda c: benefit_texts.state_text(c, now),
                           in_force=lambda c: membership_holdings.is_active(c, now),
                           order_of=benefit_holdings.order_id_of, can_refund=current_user.can("cards.refund"),
                           can_see_orders=current_user.can("members.view"))


@blueprint.route("/membership/cards/<int:card_id>/refund", methods=["GET", "POST"])
@requires("cards.refund")
def membership_refund(card_id):
    card = card_of_kind(card_id, membership=True)
    return refund_page(REFUND, MembershipRefundForm(), card, "membership-refund", done=_("已退出付费会员"),
                       back=url_for("backoffice.membership_refunds"),
                       context={"order_id": benefit_holdings.order_id_of(card)})


@blueprint.route("/membership/refunds")
@requires("cards.manage")
def membership_refunds():
    return render_template("backoffice/membership/refunds.html",
                           refunds=benefit_refunds.refunds(db.session, merchant_id(), membership=True))
