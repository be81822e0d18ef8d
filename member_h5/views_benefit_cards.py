"""The member's benefit cards: cards on offer, a card's claim page (link or QR), and 我的权益卡.

Paid cards show their price; buying them arrives with online payments, so no payment is pretended here.
"""
import secrets

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import DataRequired, Length

from domain import benefit_cards as rules
from domain import coupons as code_rules
from domain.clock import now_utc
from domain.errors import DomainError, NotFound
from extensions import db
from member_h5 import blueprint
from member_h5.common import commit, member_required
from services import benefit_cards as service
from services.coupon_wallet import benefit_text

# Channels a claim link or QR can carry (`?ch=`), so claims are counted where the member came from.
LINK_CHANNELS = ("poster_qr", "shop_qr", "menu", "mass_message", "template_message")


class ClaimBenefitCardForm(FlaskForm):
    key = HiddenField(validators=[DataRequired(), Length(max=80)])
    channel = HiddenField(validators=[Length(max=20)])


def _claim_form(channel):
    """A form with a fresh idempotency key, minted at render so a double tap claims once."""
    form = ClaimBenefitCardForm(formdata=None)
    form.key.data = f"h5-bc:{g.member.id}:{secrets.token_urlsafe(16)}"
    form.channel.data = channel
    return form


def _offer(template):
    """'claim' (free, can be claimed), 'buy' (paid), 'sold_out' or 'disabled'."""
    if template.disabled:
        return "disabled"
    sold = template.stock_total is not None and template.stock_issued >= template.stock_total
    if not template.listed or sold:
        return "sold_out"
    return "claim" if template.price is None else "buy"


def _channel():
    return request.args.get("ch") if request.args.get("ch") in LINK_CHANNELS else "h5"


@blueprint.route("/benefit-cards/")
@member_required
def benefit_cards():
    offers = [(t, _offer(t)) for t in service.templates(db.session, g.merchant.id, for_sale=True)]
    forms = {t.id: _claim_form(_channel()) for t, offer in offers if offer == "claim"}
    return render_template("member_h5/benefit_cards/list.html", offers=offers, forms=forms,
                           lines=lambda t: service.benefit_lines(db.session, t), price=service.price_text)


@blueprint.route("/benefit-cards/<int:template_id>")
@member_required
def benefit_card(template_id):
    template = service.get_template(db.session, g.merchant.id, template_id)
    offer = _offer(template)
    return render_template("member_h5/benefit_cards/card.html", card=template, offer=offer,
                           form=_claim_form(_channel()) if offer == "claim" else None,
                           lines=service.benefit_lines(db.session, template), price=service.price_text(template))


@blueprint.route("/benefit-cards/<int:template_id>/claim", methods=["POST"])
@member_required
def benefit_card_claim(template_id):
    form = ClaimBenefitCardForm()
    back = url_for("member_h5.benefit_card", template_id=template_id)
    if not form.validate():
        flash(_("页面已过期，请刷新后再试"), "warning")
        return redirect(back)
    template = service.get_template(db.session, g.merchant.id, template_id)
    if template.price is not None:
        flash(_("该卡需付费购买，线上支付开通后即可购买，目前请到店办理"), "warning")
        return redirect(back)
    channel = form.channel.data if form.channel.data in LINK_CHANNELS else "h5"
    try:
        service.issue(db.session, g.merchant, template.id, g.member.id, channel=channel, key=form.key.data)
    except NotFound:
        raise
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "warning")
        return redirect(back)
    title = template.title
    commit()
    flash(_("领取成功：%(title)s", title=title), "success")
    return redirect(url_for("member_h5.my_benefit_cards"))


@blueprint.route("/benefit-cards/mine")
@member_required
def my_benefit_cards():
    now = now_utc()
    held = service.member_cards(db.session, g.merchant.id, g.member.id)
    return render_template("member_h5/benefit_cards/mine.html", held=held, now=now, state=service.state_text,
                           lines=lambda t: service.benefit_lines(db.session, t), benefit=benefit_text,
                           code_state=lambda c: code_rules.STATE_LABELS.get(c.state, c.state),
                           grouped=code_rules.format_code,
                           in_force=lambda c: rules.in_force(c.state, c.starts_at, c.ends_at, now))
