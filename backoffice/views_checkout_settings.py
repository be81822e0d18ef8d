"""收银设置 in the back office: the till's rules in one form with previews, and the 多倍积分日 list (owner/admin)."""
from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from backoffice import blueprint
from backoffice.common import merchant_id, requires
from web.requests import client_ip
from backoffice.forms_checkout_settings import (CheckoutSettingsForm, MultiplierDayForm, day_data,
                                                 deduction_preview, earning_preview, random_preview,
                                                 settings_data, sharing_preview)
from backoffice.ui import form_page
from domain import earning
from extensions import db
from models.checkout import PointsMultiplierDay
from services.till import settings as checkout_settings
from services.members import levels
from services.shared.tenancy import get_owned

PAGE = "backoffice/till/settings.html"
DAY_FORM = "backoffice/till/multiplier_day_form.html"


def _page_context(form):
    """The form plus what the saved settings do, in words (previews read the saved row, not the unsaved form)."""
    row = checkout_settings.settings_of(db.session, merchant_id())
    days = checkout_settings.multiplier_days(db.session, merchant_id(), active_only=False)
    active = [checkout_settings.as_day(d) for d in days if d.active]
    boosting = [lv for lv in levels.list_levels(db.session, merchant_id()) if lv.points_multiplier_tenths > 10]
    top_level = max(boosting, key=lambda lv: lv.points_multiplier_tenths) if boosting else None
    return {"form": form, "days": days, "describe_day": lambda d: earning.describe_day(checkout_settings.as_day(d)),
            "action": FlaskForm(), "sharing": sharing_preview(row), "deduction": deduction_preview(row),
            "random": random_preview(row), "earning": earning_preview(row, active, top_level),
            "referral": earning.referral_preview(1000, row.referral_levels, row.referral_percent),
            "ranges_left": earning.MAX_DATE_RANGES - sum(1 for d in days if d.weekday is None)}


@blueprint.route("/checkout-settings", methods=["GET", "POST"])
@requires("settings.manage")
def checkout_settings_page():
    row = checkout_settings.settings_of(db.session, merchant_id())
    form = CheckoutSettingsForm(data=settings_data(row))

    def save():
        checkout_settings.save(db.session, current_user, ip=client_ip(), **form.values())

    return form_page(PAGE, _page_context(form), save, done=_("收银设置已保存"),
                     back=url_for("backoffice.checkout_settings_page"))


@blueprint.route("/checkout-settings/days/new", methods=["GET", "POST"])
@requires("settings.manage")
def multiplier_day_new():
    return _save_day(None)


@blueprint.route("/checkout-settings/days/<int:day_id>/edit", methods=["GET", "POST"])
@requires("settings.manage")
def multiplier_day_edit(day_id):
    return _save_day(get_owned(db.session, PointsMultiplierDay, merchant_id(), day_id))


@blueprint.route("/checkout-settings/days/<int:day_id>/delete", methods=["POST"])
@requires("settings.manage")
def multiplier_day_delete(day_id):
    if not FlaskForm().validate():
        abort(400)
    checkout_settings.delete_multiplier_day(db.session, current_user, day_id, ip=client_ip())
    flash(_("多倍积分日已删除"), "success")
    return redirect(url_for("backoffice.checkout_settings_page") + "#days")


def _save_day(row):
    form = MultiplierDayForm(data=day_data(row) if row is not None else None)

    def save():
        checkout_settings.save_multiplier_day(db.session, current_user, row.id if row else None, ip=client_ip(),
                                              **form.values())

    return form_page(DAY_FORM, {"form": form, "day": row}, save, done=_("多倍积分日已保存"),
                     back=url_for("backoffice.checkout_settings_page") + "#days")
