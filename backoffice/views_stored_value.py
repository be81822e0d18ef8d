"""Stored value: the switch (on for good) and guard rails, and the top-up tiers with their editor."""
from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from backoffice import blueprint
from backoffice.common import merchant_id, requires
from backoffice.forms_stored_value import EnableForm, SettingsForm, rule_data, rule_form, settings_data
from backoffice.ui import form_page
from domain.errors import NotFound
from extensions import db
from models import CouponTemplate, TopupRule
from services.wallet import stored_value as service
from services.shared.tenancy import get_owned, scoped

SETTINGS = "backoffice/wallet/settings.html"
RULES = "backoffice/wallet/topup_rules.html"
RULE_FORM = "backoffice/wallet/topup_rule_form.html"


@blueprint.route("/stored-value", methods=["GET", "POST"])
@requires("settings.manage")
def stored_value():
    row = service.settings_of(db.session, merchant_id())
    form = SettingsForm() if request.method == "POST" else SettingsForm(data=settings_data(row))
    context = {"form": form, "enable_form": EnableForm(formdata=None), "settings": row}
    return form_page(SETTINGS, context, lambda: service.save_settings(db.session, current_user, **form.values()),
                     done=_("储值设置已保存"), back=url_for("backoffice.stored_value"))


@blueprint.route("/stored-value/enable", methods=["POST"])
@requires("settings.manage")
def stored_value_enable():
    row = service.settings_of(db.session, merchant_id())
    enable_form = EnableForm()
    context = {"form": SettingsForm(formdata=None, data=settings_data(row)), "enable_form": enable_form,
               "settings": row}
    return form_page(SETTINGS, context, lambda: service.enable(db.session, current_user), form=enable_form,
                     done=_("储值功能已开启"), back=url_for("backoffice.stored_value"))


@blueprint.route("/stored-value/rules")
@requires("cards.manage")
def topup_rules():
    mid = merchant_id()
    rules = service.rules_of(db.session, mid)
    in_force = {rule.id for rule in service.rules_in_force(db.session, current_user.merchant)}
    return render_template(RULES, rules=rules, previews=service.previews(db.session, mid, rules),
                           in_force=in_force, settings=service.settings_of(db.session, mid))


@blueprint.route("/stored-value/rules/new", methods=["GET", "POST"])
@requires("cards.manage")
def topup_rule_new():
    return _save(None)


@blueprint.route("/stored-value/rules/<int:rule_id>/edit", methods=["GET", "POST"])
@requires("cards.manage")
def topup_rule_edit(rule_id):
    try:
        rule = get_owned(db.session, TopupRule, merchant_id(), rule_id)
    except NotFound:
        abort(404)
    return _save(rule)


def _save(rule):
    choices = _coupon_choices(rule)
    if request.method == "POST":
        form = rule_form(choices)
    else:
        form = rule_form(choices, data=rule_data(rule) if rule is not None else None)
    context = {"form": form, "rule": rule}
    return form_page(RULE_FORM, context, lambda: service.save_rule(db.session, current_user, rule,
                                                                        **form.values()),
                     done=_("充值档位已保存"), back=url_for("backoffice.topup_rules"))


def _coupon_choices(rule):
    """The merchant's issuing coupons, plus any a saved tier already gives (so editing it keeps them)."""
    kept = {c["template_id"] for c in rule.coupons} if rule is not None else set()
    rows = db.session.scalars(scoped(CouponTemplate, merchant_id()).order_by(CouponTemplate.id.desc())).all()
    return [(t.id, t.title if t.active else _("%(title)s（已停发）", title=t.title))
            for t in rows if t.active or t.id in kept]
