"""Member H5 pages inside WeChat and Alipay: login, claim the member card, member centre.

URLs are /h5/<merchant_slug>/...; every view works for the merchant in the URL only, and a login
made for one merchant is never a login for another.
"""
from flask import Blueprint

blueprint = Blueprint("member_h5", __name__, url_prefix="/h5/<merchant_slug>")

from member_h5 import common, centre_tiles, views_centre, views_claim, views_coupons, views_login  # noqa: E402,F401  (routes register on import)
from member_h5 import views_cards  # noqa: E402,F401  (count and timed cards)
from member_h5 import views_benefit_cards  # noqa: E402,F401  (benefit cards)
from member_h5 import views_gift_cards  # noqa: E402,F401  (gift cards)
from member_h5 import views_orders, views_topup  # noqa: E402,F401  (top-up and orders)
from member_h5 import views_points_to_balance  # noqa: E402,F401  (积分转储值)
from member_h5 import views_card_shop, views_gift_card_shop  # noqa: E402,F401  (buying cards and coupons)
from member_h5 import views_rewards  # noqa: E402,F401  (receipt reward QR: 支付后营销, 会员消费优惠券)
from member_h5 import views_checkouts, views_self_pay  # noqa: E402,F401  (自助买单 by the store QR; 消费记录)
from member_h5 import views_send_coupon  # noqa: E402,F401  (the coupon inside a mass message)
from member_h5 import join_links  # noqa: E402,F401  (join codes, share and invite links: /j/<token>)
from member_h5 import views_invite  # noqa: E402,F401  (邀请好友: the member's invite QR, link and friends)
from member_h5 import views_share  # noqa: E402,F401  (the WeChat share of any member page carries a tracked link)
from member_h5 import short_links  # noqa: E402,F401  (/j/<token>, outside /h5/<slug>: registered by app.py)
from member_h5 import views_membership  # noqa: E402,F401  (付费会员: plans, 开通 and 续费)
from member_h5 import views_points_mall  # noqa: E402,F401  (积分商城: gifts for points, pick-up codes)
from member_h5 import views_wechat_card  # noqa: E402,F401  (激活: the WeChat member card in the card package)
from member_h5 import views_alipay_card  # noqa: E402,F401  (领取到支付宝卡包)
