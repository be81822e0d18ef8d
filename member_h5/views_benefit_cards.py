"""The member's benefit cards: cards on offer, a card's claim page (link or QR), and 我的权益卡.

Paid cards show their price and link to their buy page in the card shop (member_h5/views_card_shop.py), which
prices the order on the server and hands the member to WeChat Pay or Alipay; the free claim here stays free only.
"""
from flask import flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import DataRequired, Length

from domain import benefit_cards as rules
from domain import coupons as code_rules
from domain.clock import now_utc
from extensions import db
from member_h5 import blueprint
from member_h5.common import attempt, claim_form, committed, expired_back, link_channel, member_required
from services.cards import benefit_holdings, benefit_issue, benefit_templates, benefit_texts
from services.coupons.member_wallet import benefit_text

class ClaimBenefitCardForm(FlaskForm):
    key = HiddenField(validators=[DataRequired(), Length(max=80)])
    channel = HiddenField(validators=[Length(max=20)])


def _claim_form():
    return claim_form(ClaimBenefitCardForm, "h5-bc", link_channel())


def _offer(template):
    """'claim' (free, can be claimed), 'buy' (paid), 'sold_out' or 'disabled'."""
    if template.disabled:
        return "disabled"
    sold = template.stock_total is not None and template.stock_issued >= template.stock_total
    if not template.listed or sold:
        return "sold_out"
    return "claim" if template.price is None else "buy"


@blueprint.route("/benefit-cards/")
@member_required
def benefit_cards():
    offers = [(t, _offer(t)) for t in benefit_templates.templates(db.session, g.merchant.id, for_sale=True)]
    forms = {t.id: _claim_form() for t, offer in offers if offer == "claim"}
    return render_template("member_h5/benefit_cards/list.html", offers=offers, forms=forms,
                           lines=lambda t: benefit_texts.benefit_lines(db.session, t), price=benefit_texts.price_text)


@blueprint.route("/benefit-cards/<int:template_id>")
@member_required
def benefit_card(template_id):
    template = benefit_templates.get_template(db.session, g.merchant.id, template_id)
    if template.membership:  # a paid membership plan is shown as membership, never as a card
        return redirect(url_for("member_h5.membership", template_id=template.id))
    offer = _offer(template)
    return render_template("member_h5/benefit_cards/card.html", card=template, offer=offer,
                           form=_claim_form() if offer == "claim" else None,
                           lines=benefit_texts.benefit_lines(db.session, template),
                           price=benefit_texts.price_text(template))


@blueprint.route("/benefit-cards/<int:template_id>/claim", methods=["POST"])
@member_required
def benefit_card_claim(template_id):
    form = ClaimBenefitCardForm()
    back = url_for("member_h5.benefit_card", template_id=template_id)
    if not form.validate():
        return expired_back(back)
    template = benefit_templates.get_template(db.session, g.merchant.id, template_id)
    if template.price is not None:
        flash(_("该卡需付费购买，请在购买页支付"), "warning")
        return redirect(url_for("member_h5.shop_card", template_id=template.id))
    channel = link_channel(form.channel.data)
    attempt(lambda: benefit_issue.issue(db.session, g.merchant, template.id, g.member.id, channel=channel,
                                        key=form.key.data), back)
    return committed(_("领取成功：%(title)s", title=template.title), url_for("member_h5.my_benefit_cards"))


@blueprint.route("/benefit-cards/mine")
@member_required
def my_benefit_cards():
    now = now_utc()
    held = benefit_holdings.member_cards(db.session, g.merchant.id, g.member.id)
    return render_template("member_h5/benefit_cards/mine.html", held=held, now=now, state=benefit_texts.state_text,
                           lines=lambda t: benefit_texts.benefit_lines(db.session, t), benefit=benefit_text,
                           code_state=lambda c: code_rules.STATE_LABELS.get(c.state, c.state),
                           grouped=code_rules.format_code,
                           in_force=lambda c: rules.in_force(c.state, c.starts_at, c.ends_at, now))
