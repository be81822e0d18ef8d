"""Buying count, timed and benefit cards and coupons sold for money: priced on the server, paid on the channel.

The buy page mints an idempotency key when shown (a double tap makes one order); the POST sends only what the
member picked (template, tier, quantity). Price and items come from services.orders.card_sales, which also reserves the
stock, so a paid order always has its card or codes waiting.
"""
import secrets

from flask import g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from domain import cards as card_rules
from domain.clock import now_utc
from domain.errors import DomainError
from extensions import db
from member_h5 import blueprint, join_links
from member_h5.common import attempt, expired_back, member_required, message_page
from member_h5.paying import channel_context, pay_channel, start_paying
from models import CardTemplate, CouponTemplate
from services.cards import benefit_texts
from services.orders import card_sales
from services.coupons.member_wallet import benefit_text
from services.shared.tenancy import get_owned
from web import boundary

SECTIONS = ((card_rules.COUNT, "次卡"), (card_rules.TIMED, "时长卡"), (card_rules.BENEFIT, "权益卡"))


class BuyForm(FlaskForm):
    key = HiddenField(validators=[DataRequired(), Length(max=80)])
    tier_key = StringField(validators=[Length(max=40)])
    quantity = StringField(validators=[Length(max=6)])


@blueprint.route("/shop")
@member_required
def card_shop():
    return render_template("member_h5/shop/list.html", sections=SECTIONS,
                           cards=card_sales.card_offers(db.session, g.merchant.id),
                           coupons=card_sales.coupon_offers(db.session, g.merchant.id), benefit=benefit_text)


@blueprint.route("/shop/card/<int:template_id>", methods=["GET"])
@member_required
def shop_card(template_id):
    template = get_owned(db.session, CardTemplate, g.merchant.id, template_id)
    if template.kind not in card_sales.ORDER_KINDS:
        return _not_sold()
    if template.membership:  # sold on the 付费会员 page
        return redirect(url_for("member_h5.membership", template_id=template.id))
    tiers = template.tiers if template.kind == card_rules.TIMED else []
    refusal = _refusal(template_id=template.id, tier_key=tiers[0]["key"] if tiers else None)
    lines = benefit_texts.benefit_lines(db.session, template) if template.kind == card_rules.BENEFIT else []
    return render_template("member_h5/shop/card.html", template=template, tiers=tiers, refusal=refusal,
                           lines=lines, kind_label=card_rules.KIND_LABELS[template.kind], **_page())


@blueprint.route("/shop/coupon/<int:template_id>", methods=["GET"])
@member_required
def shop_coupon(template_id):
    template = get_owned(db.session, CouponTemplate, g.merchant.id, template_id)
    return render_template("member_h5/shop/coupon.html", template=template, benefit=benefit_text(template),
                           refusal=_refusal(template_id=template.id, product="coupon"),
                           max_quantity=card_sales.MAX_COUPONS, **_page())


@blueprint.route("/shop/card/<int:template_id>", methods=["POST"])
@member_required
def shop_card_pay(template_id):
    return _pay(template_id, "card", url_for("member_h5.shop_card", template_id=template_id))


@blueprint.route("/shop/coupon/<int:template_id>", methods=["POST"])
@member_required
def shop_coupon_pay(template_id):
    return _pay(template_id, "coupon", url_for("member_h5.shop_coupon", template_id=template_id))


def _pay(template_id, product, back):
    """Create (or find again, by the form's key) the order, commit it, then hand the browser to the channel."""
    form = BuyForm()
    if not form.validate():
        return expired_back(back)
    quantity = attempt(lambda: _quantity(form.quantity.data), back)
    order = attempt(lambda: card_sales.create_order(
        db.session, g.merchant, g.member.id, template_id=template_id, product=product,
        tier_key=(form.tier_key.data or "").strip() or None, quantity=quantity, channel=pay_channel(),
        key=form.key.data), back)
    join_links.stamp_order(order)
    boundary.commit_now()  # the order exists before its channel hears of it
    return start_paying(order)


def _quantity(text):
    text = (text or "1").strip()
    if not text.isdigit() or len(text) > 3:
        raise DomainError("请填写正确的购买数量")
    return int(text)


def _refusal(**choice):
    """Why this member cannot buy it now (sold out, stopped, limit reached), or None: shown instead of the button."""
    try:
        card_sales.quote(db.session, g.merchant, g.member, now=now_utc(), **choice)
    except DomainError as exc:
        return exc.message
    return None


def _page():
    form = BuyForm(formdata=None)
    form.key.data = f"shop:{g.member.id}:{secrets.token_urlsafe(16)}"
    return {"form": form, **channel_context()}


def _not_sold():
    return message_page(_("该卡不在此购买"), _("该卡不在购卡页出售。"), 404, icon="warn",
                        link=url_for("member_h5.card_shop"), link_text=_("购买卡券"))
