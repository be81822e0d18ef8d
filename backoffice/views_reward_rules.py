"""Reward rules in the back office, one tab per trigger (支付后营销 / 开卡礼 / 关注礼 / 升级礼): list with grant
counts, add, edit (with a live preview sentence), copy (一键复制), enable and disable."""
from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from backoffice import blueprint
from backoffice.common import merchant_id, requires
from web.requests import client_ip
from backoffice.forms_reward_rules import KIND_LABELS, TABS, RewardRuleForm, fill_choices, rule_data, tab_of
from backoffice.ui import form_page
from extensions import db
from models import CardTemplate, CouponTemplate
from models.rewards import RewardRule
from services.members import levels
from services.rewards import preview as reward_preview, rules as reward_rules, after_payment as rewards
from services.merchant import stores
from services.shared.tenancy import get_owned

FORM = "backoffice/rewards/rule_form.html"


@blueprint.route("/reward-rules")
@requires("settings.manage")
def reward_rules_page():
    every_rule = reward_rules.list_rules(db.session, merchant_id())
    per_tab = {key: [r for r in every_rule if r.kind in kinds] for key, (_label, kinds) in TABS.items()}
    # Without a chosen tab, open on the first one that has rules, so existing 开卡礼 or 升级礼 are not hidden.
    tab = request.args.get("tab")
    if tab not in TABS:
        tab = next((key for key, rows in per_tab.items() if rows), "payment")
    rows = per_tab[tab]
    return render_template("backoffice/rewards/rules.html", rows=rows, kinds=KIND_LABELS, describe=rewards.describe,
                           action=FlaskForm(), tabs=TABS, tab=tab,
                           tab_counts={key: len(rows) for key, rows in per_tab.items()},
                           counts=reward_rules.grant_counts(db.session, merchant_id(), [r.id for r in rows]))


@blueprint.route("/reward-rules/new", methods=["GET", "POST"])
@requires("settings.manage")
def reward_rule_new():
    return _save(None)


@blueprint.route("/reward-rules/preview")
@requires("settings.manage")
def reward_rule_preview():
    """The preview sentence for the form's current input (the page's script asks as fields change)."""
    form = RewardRuleForm(formdata=request.args, meta={"csrf": False})
    _choices(form)
    return jsonify(text=reward_preview.sentence(form.sketch()))


@blueprint.route("/reward-rules/<int:rule_id>/edit", methods=["GET", "POST"])
@requires("settings.manage")
def reward_rule_edit(rule_id):
    return _save(get_owned(db.session, RewardRule, merchant_id(), rule_id))


@blueprint.route("/reward-rules/<int:rule_id>/copy", methods=["POST"])
@requires("settings.manage")
def reward_rule_copy(rule_id):
    _check_csrf()
    row = reward_rules.copy(db.session, current_user, rule_id, ip=client_ip())
    flash(_("已复制为「%(name)s」，修改后启用", name=row.name), "success")
    return redirect(url_for("backoffice.reward_rule_edit", rule_id=row.id))


@blueprint.route("/reward-rules/<int:rule_id>/<any(enable, disable):action>", methods=["POST"])
@requires("settings.manage")
def reward_rule_toggle(rule_id, action):
    _check_csrf()
    row = reward_rules.toggle(db.session, current_user, rule_id, action == "enable", ip=client_ip())
    flash(_("已启用") if action == "enable" else _("已停用"), "success")
    return redirect(url_for("backoffice.reward_rules_page", tab=tab_of(row.kind)))


def _check_csrf():
    if not FlaskForm().validate():
        abort(400)


def _save(row):
    initial = rule_data(row) if row is not None else {"kind": _asked_kind()}
    form = RewardRuleForm(data=initial)
    _choices(form)
    page = {"form": form, "rule": row, "preview": reward_preview.sentence(form.sketch()), "tab_of": tab_of}
    return form_page(FORM, page, lambda: reward_rules.save(db.session, current_user, row.id if row else None,
                                                           ip=client_ip(), **form.values()),
                     done=_("营销规则已保存"),
                     back=lambda saved: url_for("backoffice.reward_rules_page", tab=tab_of(saved.kind)))


def _asked_kind():
    """A new rule starts as the kind of the tab it was added from."""
    kind = request.args.get("kind")
    return kind if kind in KIND_LABELS else "post_payment"


def _choices(form):
    mid = merchant_id()
    coupons = db.session.scalars(select(CouponTemplate).where(CouponTemplate.merchant_id == mid,
                                                              CouponTemplate.active.is_(True))
                                 .order_by(CouponTemplate.id)).all()
    cards = db.session.scalars(select(CardTemplate).where(CardTemplate.merchant_id == mid, CardTemplate.kind == "count",
                                                          CardTemplate.disabled.is_(False))
                               .order_by(CardTemplate.id)).all()
    fill_choices(form, stores.list_stores(db.session, mid), levels.list_levels(db.session, mid), coupons, cards)
