"""领取到支付宝卡包: inside Alipay, the member centre offers the merchant's member card (once Alipay has its
template and the member holds none); the tap opens the card in the member's Alipay card package by their Alipay
user id, with their points, balance and level (services/alipay_cards/opening.py)."""
from flask import current_app, g, redirect, url_for
from flask_babel import gettext as _

from domain.errors import DomainError
from extensions import db
from member_h5 import blueprint
from member_h5.common import detect_client, member_required, message_page
from services.alipay_cards import opening


def alipay_card_button(login, member):
    """What the member centre's 领取到支付宝卡包 needs, or None: only inside Alipay, once the card's template is in
    Alipay and the member has not opened it."""
    if login is None or member is None or login.channel != "alipay" or detect_client() != "alipay":
        return None
    if opening.offered_template(db.session, g.merchant.id) is None:
        return None
    if opening.open_holding(db.session, g.merchant.id, member.id) is not None:
        return None
    return {"action": url_for("member_h5.alipay_card_open")}


@blueprint.route("/alipay-card/open", methods=["POST"])
@member_required
def alipay_card_open():
    login = g.login
    if login.channel != "alipay":
        return message_page(_("请在支付宝中打开"), _("支付宝会员卡只能在支付宝中领取。"), 400, icon="warn")
    try:
        opening.open_card(db.session, g.merchant, g.member, login.user_key)
    except DomainError as exc:
        db.session.rollback()
        return message_page(_("未能领取会员卡"), exc.message, 404 if exc.code == "not_found" else 400, icon="warn",
                            link=url_for("member_h5.centre"), link_text=_("返回会员中心"))
    if current_app.config.get("SANDBOX_ENABLED"):  # the simulated phone's Alipay card package shows the card
        return redirect(url_for("sandbox.phone_alipay_cards", m=g.merchant.slug))
    return message_page(_("已领取到支付宝卡包"), _("会员卡已放入支付宝卡包，积分和余额会同步显示。"),
                        link=url_for("member_h5.centre"), link_text=_("返回会员中心"))
