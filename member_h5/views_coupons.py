"""The member's coupons: wallet tabs, the claim centre, one code's detail with a refreshing QR code."""
import secrets

from flask import flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import DataRequired, Length

from domain import coupons as rules
from domain.clock import now_utc
from domain.errors import DomainError, NotFound
from extensions import db
from member_h5 import blueprint
from member_h5.common import commit, member_required
from services import coupon_wallet, coupons, member_qr

TABS = (("usable", "可使用"), ("used", "已使用"), ("expired", "已过期"))


# Channels a claim link can carry (`?ch=`), so claims are counted where the member came from.
LINK_CHANNELS = ("poster_qr", "shop_qr", "menu", "mass_message", "template_message")


class ClaimCouponForm(FlaskForm):
    key = HiddenField(validators=[DataRequired(), Length(max=80)])
    channel = HiddenField(validators=[Length(max=20)])


def _claim_form(channel):
    """A form with a fresh idempotency key, minted at render so a double tap claims once."""
    form = ClaimCouponForm(formdata=None)
    form.key.data = f"h5:{g.member.id}:{secrets.token_urlsafe(16)}"
    form.channel.data = channel
    return form


@blueprint.route("/coupons/")
@member_required
def coupons_wallet():
    tab = request.args.get("tab", "usable")
    if tab not in dict(TABS):
        tab = "usable"
    now = now_utc()
    purse = coupon_wallet.wallet_of(db.session, g.merchant.id, g.member.id, now=now)
    offers = coupon_wallet.claimable(db.session, g.merchant.id, g.member.id)
    channel = request.args.get("ch") if request.args.get("ch") in LINK_CHANNELS else "h5"
    forms = {offer.template.id: _claim_form(channel) for offer in offers if offer.can_claim}
    counts = {"usable": len(purse.usable), "used": len(purse.used), "expired": len(purse.expired)}
    return render_template("member_h5/coupons.html", tab=tab, tabs=TABS, counts=counts, purse=purse, offers=offers,
                           forms=forms, benefit=coupon_wallet.benefit_text)


@blueprint.route("/coupons/<int:template_id>/claim", methods=["POST"])
@member_required
def coupon_claim(template_id):
    form = ClaimCouponForm()
    if not form.validate():
        flash(_("页面已过期，请刷新后再试"), "warning")
        return redirect(url_for("member_h5.coupons_wallet"))
    try:
        channel = form.channel.data if form.channel.data in LINK_CHANNELS else "h5"
        code = coupons.claim(db.session, g.merchant, template_id, g.member.id, channel=channel, key=form.key.data)
    except NotFound:
        raise
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "warning")
        return redirect(url_for("member_h5.coupons_wallet"))
    title = code.template.title
    commit()
    flash(_("领取成功：%(title)s", title=title), "success")
    return redirect(url_for("member_h5.coupons_wallet"))


@blueprint.route("/coupons/code/<int:code_id>")
@member_required
def coupon_code(code_id):
    code = coupon_wallet.member_code(db.session, g.merchant.id, g.member.id, code_id)
    now = now_utc()
    status = _status(code, now)
    qr_svg = None
    if status == "usable":
        qr_svg = member_qr.svg(coupon_wallet.code_token(code, now=now))
    return render_template("member_h5/coupon_code.html", code=code, template=code.template, status=status,
                           status_label=dict(TABS).get(status) or rules.STATE_LABELS.get(code.state, code.state),
                           benefit=coupon_wallet.benefit_text(code.template), grouped=rules.format_code(code.code),
                           qr_svg=qr_svg, qr_seconds=coupon_wallet.VALID_SECONDS)


@blueprint.route("/coupons/code/<int:code_id>/qr.json")
@member_required
def coupon_qr_refresh(code_id):
    code = coupon_wallet.member_code(db.session, g.merchant.id, g.member.id, code_id)
    if _status(code, now_utc()) != "usable":
        return jsonify(error="not_usable", message=_("该券当前不可使用")), 409
    return jsonify(svg=member_qr.svg(coupon_wallet.code_token(code)), expires_in=coupon_wallet.VALID_SECONDS)


def _status(code, now):
    if code.state == rules.AVAILABLE:
        return "usable" if code.ends_at > now else "expired"
    if code.state == rules.USED:
        return "used"
    if code.state == rules.EXPIRED:
        return "expired"
    return code.state
