"""The member's coupons: wallet tabs, the claim centre, one code's detail with a refreshing QR code."""
import secrets

from flask import g, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import DataRequired, Length

from domain import coupons as rules
from domain.clock import now_utc
from domain.errors import NotFound
from extensions import db
from models import CouponTemplate
from member_h5 import blueprint, join_links
from member_h5.common import (attempt, attempt_or_page, claim_form, committed, expired_back, link_channel,
                              member_required, message_page, pick_tab, public_url, qr_json)
from services.coupons import (exchange as coupon_exchange, issue as coupon_issue, links as coupon_links,
                              member_wallet as coupon_wallet, sharing as coupon_sharing)
from services.members import qr as member_qr
from services.recruitment import coupon_claims
from services.shared.tenancy import get_owned

TABS = (("usable", "可使用"), ("used", "已使用"), ("expired", "已过期"))


class ClaimCouponForm(FlaskForm):
    key = HiddenField(validators=[DataRequired(), Length(max=80)])
    channel = HiddenField(validators=[Length(max=20)])


@blueprint.route("/coupons/")
@member_required
def coupons_wallet():
    tab = pick_tab(TABS)
    now = now_utc()
    purse = coupon_wallet.wallet_of(db.session, g.merchant.id, g.member.id, now=now)
    offers = coupon_wallet.claimable(db.session, g.merchant.id, g.member.id, g.member.level_id)
    channel = link_channel()
    forms = {offer.template.id: claim_form(ClaimCouponForm, "h5", channel)
             for offer in offers if offer.can_claim and not offer.by_points}
    counts = {"usable": len(purse.usable), "used": len(purse.used), "expired": len(purse.expired)}
    return render_template("member_h5/coupons.html", tab=tab, tabs=TABS, counts=counts, purse=purse, offers=offers,
                           forms=forms, benefit=coupon_wallet.benefit_text)


@blueprint.route("/coupons/<int:template_id>/claim", methods=["POST"])
@member_required
def coupon_claim(template_id):
    form, back = ClaimCouponForm(), url_for("member_h5.coupons_wallet")
    if not form.validate():
        return expired_back(back)
    channel = link_channel(form.channel.data)
    code = attempt(lambda: coupon_issue.claim_free(db.session, g.merchant, template_id, g.member.id, channel=channel,
                                                   key=form.key.data), back)
    _credited(code)
    return committed(_("领取成功：%(title)s", title=code.template.title), back)


@blueprint.route("/coupons/code/<int:code_id>")
@member_required
def coupon_code(code_id):
    code = coupon_wallet.member_code(db.session, g.merchant.id, g.member.id, code_id)
    now = now_utc()
    status = _status(code, now)
    qr_svg = None
    if status == "usable":
        qr_svg = member_qr.svg(coupon_wallet.code_token(code, now=now), label="券码")
    shareable = status == "usable" and coupon_sharing.why_not_shareable(code, now) is None
    sharing = coupon_sharing.open_transfer(db.session, code, now) if shareable else None
    return render_template("member_h5/coupon_code.html", code=code, template=code.template, status=status,
                           status_label=_status_label(code, status),
                           benefit=coupon_wallet.benefit_text(code.template), grouped=rules.format_code(code.code),
                           qr_svg=qr_svg, qr_seconds=coupon_wallet.VALID_SECONDS, shareable=shareable,
                           sharing=sharing, share_form=FlaskForm() if shareable else None)


@blueprint.route("/coupons/code/<int:code_id>/qr.json")
@member_required
def coupon_qr_refresh(code_id):
    code = coupon_wallet.member_code(db.session, g.merchant.id, g.member.id, code_id)
    return qr_json(_status(code, now_utc()) == "usable", lambda: coupon_wallet.code_token(code), "券码",
                   coupon_wallet.VALID_SECONDS, _("该券当前不可使用"))


def _status_label(code, status):
    if code.state == rules.TRANSFERRED:
        return _("已转赠给好友")
    return dict(TABS).get(status) or rules.STATE_LABELS.get(code.state, code.state)


def _status(code, now):
    if code.state == rules.AVAILABLE:
        return "usable" if code.ends_at > now else "expired"
    if code.state == rules.USED:
        return "used"
    if code.state == rules.EXPIRED:
        return "expired"
    return code.state


# --- receipt QR: a one-time claim link bound to a payment -------------------------------------------

@blueprint.route("/coupons/link/<token>", methods=["GET", "POST"])
@member_required
def coupon_link(token):
    now = now_utc()
    shown = coupon_links.view(db.session, g.merchant, token[:100], now)
    form = FlaskForm()
    if request.method == "POST":
        return _take_from_link(form, lambda: _credited(coupon_links.claim_by_link(db.session, g.merchant, token,
                                                                                  g.member.id, now=now)),
                               _("%(title)s 已放入您的券包"))
    return render_template("member_h5/coupon_link.html", shown=shown, template=shown.template, form=form,
                           benefit=coupon_wallet.benefit_text(shown.template))


def _credited(code):
    """A claimed code, credited to the channel the member came through (渠道分析)."""
    coupon_claims.credit_claim(db.session, g.merchant.id, g.member.id, code.id, join_links.remembered_touch())
    return code


def _take_from_link(form, take, done_text):
    """The POST of a link page (receipt link, friend's gift): take the coupon, or say why not on a page."""
    if not form.validate():
        return _expired_page()
    code = attempt_or_page(take, _("未能领取"), url_for("member_h5.coupons_wallet"), _("我的优惠券"))
    title, code_id = code.template.title, code.id
    return message_page(_("领取成功"), done_text % {"title": title},
                        link=url_for("member_h5.coupon_code", code_id=code_id), link_text=_("查看券"))


# --- friend sharing ---------------------------------------------------------------------------------

@blueprint.route("/coupons/code/<int:code_id>/share", methods=["POST"])
@member_required
def coupon_share(code_id):
    if not FlaskForm().validate():
        return _expired_page()
    token = attempt(lambda: coupon_sharing.create_share(db.session, g.merchant, g.member.id, code_id),
                    url_for("member_h5.coupon_code", code_id=code_id))
    return committed(None, url_for("member_h5.coupon_gift", token=token))


@blueprint.route("/coupons/code/<int:code_id>/share/cancel", methods=["POST"])
@member_required
def coupon_share_cancel(code_id):
    if not FlaskForm().validate():
        return _expired_page()
    back = url_for("member_h5.coupon_code", code_id=code_id)
    attempt(lambda: coupon_sharing.cancel(db.session, g.merchant, g.member.id, code_id), back)
    return committed(_("已取消赠送，券仍在您的券包中"), back)


@blueprint.route("/coupons/gift/<token>", methods=["GET", "POST"])
@member_required
def coupon_gift(token):
    """The giver sees the link to send; anyone else sees the coupon and may accept it."""
    now = now_utc()
    shown = coupon_sharing.view(db.session, g.merchant, token[:100], now)
    form = FlaskForm()
    if request.method == "POST":
        return _take_from_link(form, lambda: coupon_sharing.accept(db.session, g.merchant, token, g.member.id,
                                                                   now=now), _("好友赠送的 %(title)s 已放入您的券包"))
    mine = shown.transfer.from_member_id == g.member.id
    link = public_url("member_h5.coupon_gift", token=token) if mine and shown.status == "open" else None
    return render_template("member_h5/coupon_gift.html", shown=shown, template=shown.code.template, mine=mine,
                           link=link, qr_svg=member_qr.svg(link, label="转赠二维码") if link else None, form=form,
                           benefit=coupon_wallet.benefit_text(shown.code.template))


# --- points exchange --------------------------------------------------------------------------------

class ExchangeForm(FlaskForm):
    key = HiddenField(validators=[DataRequired(), Length(max=80)])


@blueprint.route("/coupons/<int:template_id>/exchange", methods=["GET", "POST"])
@member_required
def coupon_exchange_confirm(template_id):
    template = get_owned(db.session, CouponTemplate, g.merchant.id, template_id)
    if not template.active:
        raise NotFound("券不存在")
    price = coupon_exchange.price_for(template, g.member.level_id)
    form = ExchangeForm()
    if request.method == "POST":
        if not form.validate():
            return _expired_page()
        code = attempt(lambda: coupon_exchange.exchange(db.session, g.merchant, template.id, g.member.id,
                                                        key=form.key.data),
                       url_for("member_h5.coupon_exchange_confirm", template_id=template_id))
        return committed(_("兑换成功：%(title)s", title=template.title),
                         url_for("member_h5.coupon_code", code_id=code.id))
    form.key.data = f"exchange:{g.member.id}:{secrets.token_urlsafe(16)}"
    refusal = None
    if price is None:
        refusal = _("您的等级不能兑换该券")
    elif g.member.points_balance < price:
        refusal = _("积分不足，需要 %(n)s 积分", n=price)
    return render_template("member_h5/coupon_exchange.html", template=template, price=price, form=form,
                           refusal=refusal, balance=g.member.points_balance,
                           benefit=coupon_wallet.benefit_text(template))


def _expired_page():
    return message_page(_("页面已过期"), _("页面已过期，请返回后刷新页面再试"), 400, icon="warn",
                        link=url_for("member_h5.coupons_wallet"), link_text=_("我的优惠券"))
