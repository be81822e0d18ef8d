"""What the member centre's icon grid and the bottom tabbar show: the counts of what the member holds
(services/members/holdings.py counts them) as tiles, and the tabs."""
from flask import g, url_for
from flask_babel import gettext as _

from domain.clock import until_text
from domain.money import format_yuan
from extensions import db
from member_h5 import blueprint
from member_h5.views_invite import invite_open
from member_h5.views_membership import membership_badge
from services.orders.card_sales import sells_cards


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
        *_membership_tile(),
        {"href": url_for("member_h5.topup"), "icon": "topup", "label": _("充值"), "id": "topup-link"},
        {"href": url_for("member_h5.card_shop"), "icon": "shop", "label": _("购买卡券"), "id": "shop-link"},
        {"href": url_for("member_h5.gift_card_shop"), "icon": "gift", "label": _("礼品卡中心"), "id": "gift-shop-link"},
        {"href": url_for("member_h5.points_mall"), "icon": "gift", "label": _("积分商城"), "id": "tile-points-mall"},
        {"href": url_for("member_h5.orders_list"), "icon": "orders", "label": _("我的订单"), "id": "orders-link"},
        *_invite_tile(),
    ]


def _invite_tile():
    """邀请好友 while the merchant's 邀请有礼 is on (member_h5/views_invite.py)."""
    if not invite_open():
        return []
    return [{"href": url_for("member_h5.invite"), "icon": "invite", "label": _("邀请好友"), "id": "tile-invite"}]


def _membership_tile():
    """付费会员 with its last day, or 去开通 where the merchant sells one (member_h5/views_membership.py)."""
    badge = membership_badge()
    if badge is None:
        return []
    count = _("至 %(day)s", day=until_text(badge.ends_at, g.merchant.timezone)) if badge.active else \
        (_("已到期") if badge.ends_at is not None else _("去开通"))
    return [{"href": badge.href, "icon": "level", "label": _("付费会员"), "count": count, "id": "tile-membership"}]


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
