"""Staff H5 pages on the shop floor: log in on a phone, pick the store, scan or type a code, verify any
instrument (coupons, count/timed/gift/benefit cards) or a member's holdings, see and undo own records.

URLs are /staff/...; every action is scoped to the signed-in staff member's merchant and their chosen store.
"""
from flask import Blueprint

blueprint = Blueprint("staff_h5", __name__, url_prefix="/staff")

from staff_h5 import views, views_checkout, views_members, views_scan  # noqa: F401,E402  (routes register on import)
from staff_h5 import views_card_stock, views_counter_topup  # noqa: F401,E402  (发实体卡, 门店充值)
from staff_h5 import views_join_codes  # noqa: F401,E402  (my join code, 招募推广)
from staff_h5 import views_assisted_join, views_guide_members  # noqa: F401,E402  (帮顾客办理, 我的会员)
from staff_h5 import views_member_points  # noqa: F401,E402  (手动增减积分)
from staff_h5 import views_member_detail  # noqa: F401,E402  (会员详情)
from staff_h5 import views_member_mall  # noqa: F401,E402  (积分兑换: gifts for a member's points, handed over at once)
