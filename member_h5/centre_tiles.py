"""What the member centre's icon grid and the bottom tabbar show: counts of what the member holds, and the tabs.

The counts are a handful of aggregate queries on indexed columns (member and state), scoped to the merchant, so the
centre stays as cheap as it was with plain rows. They follow the same rules as the pages the tiles open: a coupon
is usable while available and not past its end, a count or timed card while active or pending and not past its end,
a benefit card while active, started and not ended, a gift card's balance while it is activated or waiting for
activation.
"""
from dataclasses import dataclass

from flask import g, url_for
from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, or_, select

from domain import cards as card_rules
from domain import coupons as coupon_rules
from domain.money import format_yuan
from extensions import db
from member_h5 import blueprint
from models import Card, CardTemplate, CouponCode, Wallet
from services.orders.card_sales import ORDER_KINDS


@dataclass(frozen=True)
class Holdings:
    coupons: int
    count_timed_cards: int
    benefit_cards: int
    gift_balance: int  # fen, summed over the member's usable gift cards
    gift_cards: int


def holdings_of(session, merchant_id, member_id, now):
    """How many usable coupons and cards the member holds, and the balance left on their gift cards."""
    coupons = session.scalar(select(func.count()).select_from(CouponCode).where(
        CouponCode.merchant_id == merchant_id, CouponCode.member_id == member_id,
        CouponCode.state == coupon_rules.AVAILABLE, CouponCode.ends_at > now)) or 0
    not_ended = or_(Card.ends_at.is_(None), Card.ends_at > now)
    by_kind = dict(session.execute(select(Card.kind, func.count()).where(
        Card.merchant_id == merchant_id, Card.member_id == member_id, Card.extended_into_id.is_(None), not_ended,
        or_(and_(Card.kind.in_((card_rules.COUNT, card_rules.TIMED)),
                 Card.state.in_((card_rules.ACTIVE, card_rules.PENDING))),
            and_(Card.kind == card_rules.BENEFIT, Card.state == card_rules.ACTIVE,
                 or_(Card.starts_at.is_(None), Card.starts_at <= now))))
        .group_by(Card.kind)).all())
    gift_count, gift_balance = session.execute(
        select(func.count(Card.id), func.coalesce(func.sum(Wallet.principal + Wallet.bonus), 0))
        .select_from(Card).join(Wallet, and_(Wallet.id == Card.wallet_id, Wallet.merchant_id == merchant_id))
        .where(Card.merchant_id == merchant_id, Card.member_id == member_id, Card.kind == card_rules.GIFT,
               Card.state.in_((card_rules.ACTIVE, card_rules.CLAIMED)), not_ended)).one()
    return Holdings(coupons=coupons,
                    count_timed_cards=by_kind.get(card_rules.COUNT, 0) + by_kind.get(card_rules.TIMED, 0),
                    benefit_cards=by_kind.get(card_rules.BENEFIT, 0), gift_balance=int(gift_balance),
                    gift_cards=gift_count)


def grid_tiles(held):
    """The member centre's icon grid: what the member holds (with counts), then where to get more."""
    pieces = lambda n: _("%(n)s 张", n=n)  # noqa: E731  (one wording for every count)
    return [
        {"href": url_for("member_h5.coupons_wallet"), "icon": "coupon", "label": _("优惠券"),
         "count": pieces(held.coupons), "id": "tile-coupons"},
        {"href": url_for("member_h5.cards_list"), "icon": "ticket", "label": _("次卡/时长卡"),
         "count": pieces(held.count_timed_cards), "id": "tile-cards"},
        {"href": url_for("member_h5.gift_cards_list"), "icon": "gift", "label": _("礼品卡"),
         "count": "¥" + format_yuan(held.gift_balance) if held.gift_cards else pieces(0), "id": "tile-gift-cards"},
        {"href": url_for("member_h5.my_benefit_cards"), "icon": "benefit", "label": _("权益卡"),
         "count": pieces(held.benefit_cards), "id": "tile-benefit-cards"},
        {"href": url_for("member_h5.topup"), "icon": "topup", "label": _("充值"), "id": "topup-link"},
        {"href": url_for("member_h5.card_shop"), "icon": "shop", "label": _("购买卡券"), "id": "shop-link"},
        {"href": url_for("member_h5.gift_card_shop"), "icon": "gift", "label": _("礼品卡中心"), "id": "gift-shop-link"},
        {"href": url_for("member_h5.orders_list"), "icon": "orders", "label": _("我的订单"), "id": "orders-link"},
    ]


def sells_cards(session, merchant_id):
    """Whether the merchant lists count, timed or benefit cards in the member shop (the third tab is then 商城)."""
    return session.scalar(select(exists().where(
        CardTemplate.merchant_id == merchant_id, CardTemplate.kind.in_(tuple(ORDER_KINDS)),
        CardTemplate.disabled.is_(False), CardTemplate.listed.is_(True))))


def member_tabs():
    """The bottom tabbar of the member pages: 会员卡, 卡券, 商城 (or 充值 where no cards are sold), 我的."""
    third = ({"key": "shop", "href": url_for("member_h5.card_shop"), "icon": "shop", "label": _("商城")}
             if sells_cards(db.session, g.merchant.id) else
             {"key": "topup", "href": url_for("member_h5.topup"), "icon": "topup", "label": _("充值")})
    return [
        {"key": "card", "href": url_for("member_h5.centre"), "icon": "card", "label": _("会员卡")},
        {"key": "coupons", "href": url_for("member_h5.coupons_wallet"), "icon": "coupon", "label": _("卡券")},
        third,
        {"key": "me", "href": url_for("member_h5.me"), "icon": "user", "label": _("我的")},
    ]


@blueprint.context_processor
def tabbar_helpers():
    # A callable, so only the pages that show the tabbar pay for the query behind the third tab.
    return {"member_tabs": member_tabs}
