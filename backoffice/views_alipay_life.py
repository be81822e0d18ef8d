"""支付宝生活号: whether the merchant's Alipay life account messages members who use Alipay only, and the template
ids of its notices (services/alipay_life/settings.py)."""
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from backoffice import blueprint
from backoffice.common import merchant_id, requires
from backoffice.forms_alipay_life import TEMPLATE_FIELDS, AlipayLifeForm
from backoffice.ui import form_page
from channels import alipay as alipay_channel
from extensions import db
from services.alipay_life import settings as life_settings

PAGE = "backoffice/alipay_life/settings.html"


@blueprint.route("/alipay-life", methods=["GET", "POST"])
@requires("settings.manage")
def alipay_life_settings():
    form = AlipayLifeForm()
    if not form.is_submitted():
        form = AlipayLifeForm(formdata=None).fill(life_settings.settings_for(db.session, merchant_id()))
    context = {"form": form, "fields": TEMPLATE_FIELDS,
               "alipay_configured": alipay_channel.configured(current_user.merchant)}
    return form_page(PAGE, context, lambda: life_settings.save(
        db.session, current_user, enabled=form.enabled.data, notify_points=form.notify_points.data,
        notify_balance=form.notify_balance.data, notify_coupon=form.notify_coupon.data,
        notify_level=form.notify_level.data, template_ids=form.template_ids()),
        done=_("支付宝生活号设置已保存"), back=url_for("backoffice.alipay_life_settings"))
