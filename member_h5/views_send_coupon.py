"""The coupon inside a mass message (群发投放优惠券): the link in the message opens it, a member who received the
message takes it once."""
from flask import g, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from extensions import db
from member_h5 import blueprint
from member_h5.common import attempt_or_page, member_required, message_page
from services.coupons import member_wallet as coupon_wallet
from services.outreach import coupon_offer
from services.recruitment import coupon_claims


@blueprint.route("/sends/<int:send_id>/coupon", methods=["GET", "POST"])
@member_required
def send_coupon(send_id):
    send, template, code = coupon_offer.offer(db.session, g.merchant.id, send_id, g.member.id)
    form = FlaskForm()
    if request.method == "POST" and code is None:
        if not form.validate():
            return message_page(_("页面已过期"), _("请返回消息重新打开"), 400, icon="warn")
        code = attempt_or_page(lambda: coupon_offer.claim(db.session, g.merchant, send.id, g.member.id),
                               _("未能领取"), url_for("member_h5.coupons_wallet"), _("我的优惠券"))
        coupon_claims.credit_send_claim(db.session, send, g.member.id, code.id)
        return message_page(_("领取成功"), _("%(title)s 已放入您的券包", title=template.title),
                            link=url_for("member_h5.coupon_code", code_id=code.id), link_text=_("查看券"))
    return render_template("member_h5/send_coupon.html", template=template, code=code, form=form,
                           benefit=coupon_wallet.benefit_text(template))
