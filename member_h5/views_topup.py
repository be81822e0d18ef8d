"""The member's top-up page: the tiers in force and what each gives, a custom amount when allowed, then pay."""
import secrets

from flask import g, render_template, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from domain.errors import DomainError
from domain.money import parse_yuan
from extensions import db
from member_h5 import blueprint, join_links
from member_h5.paying import channel_context, pay_channel, start_paying
from member_h5.common import attempt, expired_back, member_required, message_page
from services.wallet import stored_value, journal as wallet
from web import boundary


class TopupForm(FlaskForm):
    key = HiddenField(validators=[DataRequired(), Length(max=80)])
    rule_id = HiddenField(validators=[Length(max=12)])
    custom_amount = StringField(validators=[Length(max=20)])


@blueprint.route("/topup", methods=["GET"])
@member_required
def topup():
    settings = stored_value.settings_of(db.session, g.merchant.id)
    if not settings.enabled:
        return message_page(_("暂未开通储值"), _("本店暂未开通储值充值。"), 200, icon="info",
                            link=url_for("member_h5.centre"), link_text=_("返回会员卡"))
    tiers = stored_value.rules_in_force(db.session, g.merchant)
    form = TopupForm(formdata=None)
    form.key.data = f"topup:{g.member.id}:{secrets.token_urlsafe(16)}"
    purse = wallet.member_wallet(db.session, g.merchant.id, g.member.id)
    return render_template("member_h5/topup/page.html", form=form, tiers=tiers, settings=settings, purse=purse,
                           previews=stored_value.previews(db.session, g.merchant.id, tiers),
                           **channel_context())


@blueprint.route("/topup", methods=["POST"])
@member_required
def topup_pay():
    form, back = TopupForm(), url_for("member_h5.topup")
    if not form.validate():
        return expired_back(back)
    choice = attempt(lambda: _choice(form), back)
    order = attempt(lambda: stored_value.create_topup_order(db.session, g.merchant, g.member.id,
                                                            channel=pay_channel(), key=form.key.data, **choice), back)
    join_links.stamp_order(order)
    boundary.commit_now()  # the order exists before its channel hears of it
    return start_paying(order)


def _choice(form):
    """A tier by id, or a typed amount in yuan: what the member picked, priced later on the server."""
    if form.rule_id.data:
        if not form.rule_id.data.isdigit():
            raise DomainError("请选择充值档位")
        return {"rule_id": int(form.rule_id.data)}
    if (form.custom_amount.data or "").strip():
        return {"custom_amount": parse_yuan(form.custom_amount.data)}
    raise DomainError("请选择充值金额")
