"""The receipt's reward QR (支付后营销 for a walk-in, 会员消费优惠券 for anyone): claimed once, by a member.

A visitor without a member card is sent to claim the card first (the reward is the reason to join); the QR stays
valid, so scanning it again after joining takes the reward.
"""
from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from domain.clock import now_utc
from extensions import db
from member_h5 import blueprint
from member_h5.common import attempt_or_page, current_login, member_required, message_page
from services.rewards import after_payment as rewards
from services.members.join import member_for
from services.members import qr as member_qr
from markupsafe import Markup


@blueprint.route("/rewards/claim/<token>", methods=["GET", "POST"])
def reward_claim(token):
    login = current_login()
    if login is not None and member_for(db.session, login) is None:
        flash(_("领取会员卡后即可领取奖励"), "info")
        return redirect(url_for("member_h5.claim", next=request.path))
    return _claim_page(token[:100])


@member_required
def _claim_page(token):
    grant = rewards.pending(db.session, g.merchant.id, token)
    form = FlaskForm()
    if request.method == "POST":
        if not form.validate():
            return message_page(_("页面已过期"), _("页面已过期，请返回后刷新页面再试"), 400, icon="warn")
        given = attempt_or_page(lambda: rewards.claim(db.session, g.merchant, token, g.member.id, now=now_utc()),
                                _("未能领取"), url_for("member_h5.centre"), _("会员中心"))
        return message_page(_("领取成功"), _("已放入您的会员卡：%(given)s", given=given),
                            link=url_for("member_h5.centre"), link_text=_("会员中心"))
    offered = rewards.offer_text(db.session, grant.rule.rewards)
    return render_template("member_h5/reward_claim.html", grant=grant, offered=offered, form=form)


# The till's receipt (staff_h5) draws each claim URL as a QR.
@blueprint.app_template_global("reward_qr")
def reward_qr(url):
    """The claim URL as an inline SVG QR (the project's one QR drawer)."""

    return Markup(member_qr.svg(url, label="领奖二维码"))
