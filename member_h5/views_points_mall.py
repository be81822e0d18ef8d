"""积分商城 for the member: the gifts and coupons on offer for points, a gift's page with 兑换, the pick-up code
(QR and number) to show at a store, 我的兑换, and cancelling an unclaimed gift for the points back."""
import os
import secrets

from flask import current_app, g, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import DataRequired, Length

from domain import points_mall as rules
from domain.cards import BENEFIT
from domain.clock import now_utc
from domain.errors import NotFound
from extensions import db
from member_h5 import blueprint
from member_h5.common import attempt, committed, expired_back, member_required
from services.cards.count_timed_photos import photo_dir
from services.coupons import member_wallet
from services.members import qr as member_qr
from services.points_mall import card_gifts, exchanges, gifts


class ExchangeForm(FlaskForm):
    key = HiddenField(validators=[DataRequired(), Length(max=80)])


class CancelForm(FlaskForm):
    pass


@blueprint.route("/member/mall", endpoint="points_mall")
@member_required
def points_mall():
    now = now_utc()
    offered = gifts.on_offer(db.session, g.merchant.id, now)
    prices = {gift.id: rules.price_for(gift.points_prices, g.member.level_id) for gift in offered}
    coupons = [offer for offer in member_wallet.claimable(db.session, g.merchant.id, g.member.id, g.member.level_id)
               if offer.by_points and offer.points_price]
    return render_template("member_h5/points_mall/index.html", member=g.member, gifts=offered, prices=prices,
                           coupons=coupons)


@blueprint.route("/member/mall/gifts/<int:gift_id>", methods=["GET", "POST"], endpoint="points_mall_gift")
@member_required
def points_mall_gift(gift_id):
    gift = gifts.get(db.session, g.merchant.id, gift_id)
    if not gift.active:
        raise NotFound(_("礼品不存在"))
    back = url_for("member_h5.points_mall_gift", gift_id=gift.id)
    form = ExchangeForm()
    if request.method == "POST":
        if not form.validate():
            return expired_back(back)
        row = attempt(lambda: exchanges.exchange(db.session, g.merchant, gift.id, g.member.id, key=form.key.data),
                      back)
        done = _("兑换成功：%(name)s，已放入您的卡包", name=gift.name) if row.card_id else \
            _("兑换成功：%(name)s，请到店出示提货码领取", name=gift.name)
        return committed(done, url_for("member_h5.points_mall_exchange", exchange_id=row.id))
    form.key.data = f"gift:{g.member.id}:{secrets.token_urlsafe(16)}"
    price = rules.price_for(gift.points_prices, g.member.level_id)
    refusal = exchanges.refusal(db.session, g.merchant.id, gift, g.member, now_utc())
    if refusal is None and g.member.points_balance < price:
        refusal = _("积分不足，需要 %(n)s 积分", n=price)
    return render_template("member_h5/points_mall/gift.html", gift=gift, price=price, form=form, refusal=refusal,
                           balance=g.member.points_balance)


@blueprint.route("/member/mall/gifts/<int:gift_id>/photo", endpoint="points_mall_photo")
@member_required
def points_mall_photo(gift_id):
    path = gifts.photo_file(db.session, g.merchant.id, gift_id, photo_dir(current_app))
    if not os.path.isfile(path):
        raise NotFound(_("没有图片"))
    return send_file(path, max_age=3600)


@blueprint.route("/member/mall/exchanges", endpoint="points_mall_mine")
@member_required
def points_mall_mine():
    rows = exchanges.of_member(db.session, g.merchant.id, g.member.id)
    return render_template("member_h5/points_mall/mine.html", rows=rows, labels=rules.STATE_LABELS)


@blueprint.route("/member/mall/exchanges/<int:exchange_id>", endpoint="points_mall_exchange")
@member_required
def points_mall_exchange(exchange_id):
    row = exchanges.member_exchange(db.session, g.merchant.id, g.member.id, exchange_id)
    pending = row.state == rules.PENDING
    code = row.pickup_code
    return render_template("member_h5/points_mall/exchange.html", row=row, pending=pending, card_link=_card_link(row),
                           qr_svg=member_qr.svg(code, label=_("提货码")) if pending else None,
                           grouped=" ".join(code[i:i + 4] for i in range(0, len(code), 4)),
                           state_label=rules.state_label(row.state), form=CancelForm())


def _card_link(row):
    """The member's page of the card an exchange put into their card package, or None for a gift."""
    card = card_gifts.held_card(db.session, g.merchant.id, g.member.id, row.card_id)
    if card is None:
        return None
    if card.kind == BENEFIT:
        return url_for("member_h5.my_benefit_cards")
    # a timed card exchanged while one was running lengthened that one: the member holds the card it extended
    return url_for("member_h5.card_detail", card_id=card.extended_into_id or card.id)


@blueprint.route("/member/mall/exchanges/<int:exchange_id>/cancel", methods=["POST"],
                 endpoint="points_mall_cancel")
@member_required
def points_mall_cancel(exchange_id):
    back = url_for("member_h5.points_mall_exchange", exchange_id=exchange_id)
    if not CancelForm().validate():
        return expired_back(back)
    row = attempt(lambda: exchanges.cancel(db.session, g.merchant, exchange_id, by_member_id=g.member.id), back)
    return committed(_("已取消兑换，%(n)s 积分已退回", n=row.points), back)
