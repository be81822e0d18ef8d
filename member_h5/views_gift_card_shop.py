"""The gift-card shop: buy one or several gift cards, and the cards a member bought and gave away.

礼品卡中心 lists what is on sale; a template's page takes a theme and a quantity per face value (mixed face
values in one order), shows the total and that gift cards are not refundable, then pays like the top-up page.
The price is the server's (services/orders/gift_card_sales.quote); the browser only says which cards and how many.
"""
import secrets

from flask import g, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from domain.errors import DomainError
from extensions import db
from member_h5 import blueprint, join_links
from member_h5.common import attempt, expired_back, member_required
from member_h5.paying import channel_context, pay_channel, start_paying
from services.orders import gift_card_sales
from services.cards import gift_templates
from web import boundary


class BuyForm(FlaskForm):
    """The key and the theme; the lines come as repeated face_value/quantity pairs (see _lines)."""

    key = HiddenField(validators=[DataRequired(), Length(max=80)])
    theme = StringField(validators=[Length(max=20)])


# Ids past PostgreSQL's INTEGER are a 404 at the URL, not a database error.
MAX_ID = 2_147_483_647
TEMPLATE_URL = f"/gift-cards/shop/<int(max={MAX_ID}):template_id>"


@blueprint.route("/gift-cards/shop")
@member_required
def gift_card_shop():
    templates = gift_card_sales.on_sale(db.session, g.merchant.id)
    return render_template("member_h5/gift_cards/shop.html", templates=templates,
                           stock_left=gift_card_sales.stock_left)


@blueprint.route(TEMPLATE_URL, methods=["GET"])
@member_required
def gift_card_shop_template(template_id):
    template = _on_sale(template_id)
    form = BuyForm(formdata=None)
    form.key.data = f"gift:{g.member.id}:{secrets.token_urlsafe(16)}"
    return render_template("member_h5/gift_cards/shop_buy.html", template=template, form=form,
                           left=gift_card_sales.stock_left(template), max_per_line=gift_card_sales.MAX_PER_LINE,
                           max_cards=gift_card_sales.MAX_CARDS, color=gift_templates.theme_color,
                           **channel_context())


@blueprint.route(TEMPLATE_URL, methods=["POST"])
@member_required
def gift_card_shop_pay(template_id):
    # Resolve the template first: another merchant's id is a 404 whatever the form holds.
    gift_templates.gift_template(db.session, g.merchant.id, template_id)
    form, back = BuyForm(), url_for("member_h5.gift_card_shop_template", template_id=template_id)
    if not form.validate():
        return expired_back(back)
    lines = attempt(_lines, back)
    order = attempt(lambda: gift_card_sales.create_order(
        db.session, g.merchant, g.member.id, template_id, lines, theme=form.theme.data or None,
        key=form.key.data, channel=pay_channel()), back)
    join_links.stamp_order(order)
    boundary.commit_now()  # the order exists before its channel hears of it
    return start_paying(order)


@blueprint.route("/gift-cards/bought")
@member_required
def gift_cards_bought():
    groups = gift_card_sales.bought(db.session, g.merchant.id, g.member.id)
    return render_template("member_h5/gift_cards/bought.html", groups=groups, masked=gift_card_sales.masked,
                           color=gift_templates.theme_color)


def _on_sale(template_id):
    """The template, or back to the shop with why it cannot be bought (NotFound stays a 404)."""
    return attempt(lambda: gift_card_sales.template_on_sale(db.session, g.merchant.id, template_id),
                   url_for("member_h5.gift_card_shop"))


def _lines():
    """Repeated face_value/quantity pairs -> [{"face_value", "quantity"}], zero quantities dropped.

    Only the shape is checked here (short ASCII digits); what is on offer is the service's to decide.
    """
    values, quantities = request.form.getlist("face_value"), request.form.getlist("quantity")
    if len(values) != len(quantities) or len(values) > gift_card_sales.MAX_CARDS:
        raise DomainError("请选择面值和数量")
    lines = []
    for value, quantity in zip(values, quantities):
        value, quantity = value.strip(), quantity.strip() or "0"
        if not _digits(value) or not _digits(quantity):
            raise DomainError("请选择面值和数量")
        if int(quantity):
            lines.append({"face_value": int(value), "quantity": int(quantity)})
    return lines


def _digits(text):
    return 0 < len(text) <= 13 and text.isascii() and text.isdigit()
