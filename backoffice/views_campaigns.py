"""Campaigns (营销活动): the list (each campaign with its schedule, next run and figures; then the existing reward
rules, 开卡礼 / 升级礼 / 关注礼 / 支付后营销, with theirs), writing a campaign of one of six kinds, and switching it
on, pausing, resuming and ending it. The campaign's own page (settings, dry run, report) and its downloads are in
views_campaign_report.py.

Everyone who may see reports sees the campaigns (`reports.view`: owner, admin, operator); only the owner and an
admin write and switch them (`campaigns.manage`), since a campaign gives things away.
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user

from backoffice import blueprint
from backoffice.common import merchant_id, requires
from backoffice.forms_campaigns import CampaignForm, campaign_data
from backoffice.forms_reward_rules import KIND_LABELS as RULE_KIND_LABELS
from backoffice.ui import form_page
from domain import campaigns as rules
from domain.clock import local_today, now_utc
from domain.errors import DomainError, NotFound, PermissionDenied
from extensions import db
from models import CardTemplate, CouponTemplate
from services.audiences import saved as saved_audiences
from services.campaigns import report as campaign_report, runs, setup
from services.rewards import rules as reward_rules
from services.shared.tenancy import scoped
from web.requests import client_ip

FORM = "backoffice/campaigns/form.html"
STATE_LABELS = {"draft": _l("草稿"), "scheduled": _l("已排期"), "running": _l("进行中"), "paused": _l("已暂停"),
                "ended": _l("已结束")}
KIND_HINTS = {
    "birthday": _l("会员生日前几天或生日当月自动送上礼物，每人每年一次"),
    "dormant": _l("会员连续多天未到店时发券唤醒，可再设第二步"),
    "holiday": _l("在节日或自定的日期段内，向所选人群发放一次"),
    "one_off": _l("在指定的时间，向所选人群发放一次"),
    "recurring": _l("每周或每月固定的一天，向所选人群发放（如会员日）"),
    "audience_entry": _l("会员一进入所选人群就自动发放，每人一次"),
}
RULE_KINDS = ("registration", "level_up", "follow", "post_payment")
LIVE = ("scheduled", "running", "paused")  # editing one changes only the runs that start afterwards
ACTIONS = ("switch-on", "pause", "resume", "end")


@blueprint.route("/campaigns")
@requires("reports.view")
def campaigns():
    mid, merchant = merchant_id(), current_user.merchant
    rows = setup.list_campaigns(db.session, mid)
    now = now_utc()
    next_runs = {c.id: rules.next_due(c.kind, c.schedule, tz_name=merchant.timezone, after=now)
                 for c in rows if c.state != "ended"}
    reward_rows = reward_rules.list_rules(db.session, mid, RULE_KINDS)
    return render_template(
        "backoffice/campaigns/list.html", campaigns=rows, next_runs=next_runs,
        figures=campaign_report.figures(db.session, mid, [c.id for c in rows]), kinds=rules.KINDS,
        kind_hints=KIND_HINTS, reward_rows=reward_rows, rule_kind_labels=RULE_KIND_LABELS,
        grant_counts=reward_rules.grant_counts(db.session, mid, [r.id for r in reward_rows]), **labels())


@blueprint.route("/campaigns/new", methods=["GET", "POST"])
@requires("campaigns.manage")
def campaign_new():
    kind = request.args.get("kind")
    if kind not in rules.KINDS:
        flash(_("请先选择活动类型"), "warning")
        return redirect(url_for("backoffice.campaigns"))
    return _edit(None, kind)


@blueprint.route("/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
@requires("campaigns.manage")
def campaign_edit(campaign_id):
    campaign = owned(campaign_id)
    if campaign.state == "ended":
        flash(_("活动已结束，不能再修改；可新建一个"), "warning")
        return redirect(url_for("backoffice.campaign_show", campaign_id=campaign.id))
    return _edit(campaign, campaign.kind)


def _edit(campaign, kind):
    mid = merchant_id()
    holidays = rules.holidays_from(local_today(current_user.merchant.timezone))
    if request.method == "POST":
        form = CampaignForm()
    else:
        form = CampaignForm(data=campaign_data(campaign, holidays) if campaign is not None else None)
    form.setup(kind, saved_audiences.list_audiences(db.session, mid), *_reward_choices(mid, campaign), holidays)
    context = {"form": form, "campaign": campaign, "kind": kind, "kind_label": rules.KIND_LABELS[kind],
               "kind_hint": KIND_HINTS[kind], "live": campaign is not None and campaign.state in LIVE,
               "audience_optional": kind not in setup.AUDIENCE_REQUIRED,
               "may_build": current_user.can("audiences.manage")}

    def save():
        try:
            return setup.save(db.session, current_user, campaign.id if campaign is not None else None,
                              ip=client_ip(), **form.values())
        except DomainError as exc:
            form.place(exc)
            raise

    done = _("已保存，修改只影响之后的执行") if context["live"] else _("已保存为草稿，请核对试运行后启用")
    return form_page(FORM, context, save, done=done,
                     back=lambda saved: url_for("backoffice.campaign_show", campaign_id=saved.id))


def _reward_choices(mid, campaign):
    """Active coupon templates and count cards, plus any the campaign already gives (so that editing it shows them,
    and the service says why one can no longer be given)."""
    used_coupons, used_cards = set(), set()
    if campaign is not None:
        for rewards in (campaign.rewards or {}, (campaign.rewards or {}).get("second") or {}):
            used_coupons |= {c["template_id"] for c in rewards.get("coupons", ())}
            used_cards |= {c["template_id"] for c in rewards.get("count_cards", ())}
    coupons = db.session.scalars(scoped(CouponTemplate, mid).where(
        CouponTemplate.active.is_(True) | CouponTemplate.id.in_(used_coupons)).order_by(CouponTemplate.id)).all()
    cards = db.session.scalars(scoped(CardTemplate, mid).where(CardTemplate.kind == "count", (
        CardTemplate.disabled.is_(False) | CardTemplate.id.in_(used_cards))).order_by(CardTemplate.id)).all()
    return coupons, cards


@blueprint.post("/campaigns/<int:campaign_id>/<any('switch-on', pause, resume, end):action>")
@requires("campaigns.manage")
def campaign_action(campaign_id, action):
    """启用 / 暂停 / 恢复 / 结束: the outcome is flashed on the campaign's page."""
    campaign = owned(campaign_id)
    back = redirect(url_for("backoffice.campaign_show", campaign_id=campaign.id))
    if action == "resume" and campaign.state != "paused":
        flash(_("只有已暂停的活动可以恢复"), "warning")
        return back
    try:
        if action == "switch-on":
            setup.switch_on(db.session, current_user, campaign.id, ip=client_ip())
            message = _("活动已启用，将按计划自动执行")
        elif action == "pause":
            setup.pause(db.session, current_user, campaign.id, ip=client_ip())
            message = _("活动已暂停，正在执行的批次在当前一批后停止")
        elif action == "resume":
            runs.resume(db.session, current_user, campaign.id)
            message = _("活动已恢复")
        else:
            setup.end(db.session, current_user, campaign.id, ip=client_ip())
            message = _("活动已结束")
    except DomainError as exc:
        db.session.rollback()
        if isinstance(exc, NotFound):
            abort(404)
        if isinstance(exc, PermissionDenied):
            abort(403)
        flash(exc.message, "warning")
    else:
        flash(message, "success")
    return back


def owned(campaign_id):
    """This merchant's campaign, else 404 (another merchant's id included)."""
    try:
        return setup.get(db.session, merchant_id(), campaign_id)
    except NotFound:
        abort(404)


def labels():
    return {"state_labels": STATE_LABELS, "kind_labels": rules.KIND_LABELS, "describe": rules.describe_schedule}

