"""The merchant back office: thin views over services, Chinese UI, usable on a phone and a desktop."""
from flask import Blueprint

blueprint = Blueprint("backoffice", __name__, url_prefix="/backoffice")

from backoffice import (  # noqa: E402,F401  (routes register on import)
    navigation, table_cells, ui, views_audit, views_auth, views_dashboard, views_levels, views_member_actions, views_members,
    views_settings, views_staff, views_stores,
)
from backoffice import views_wechat  # noqa: E402,F401  (the official account)
from backoffice import views_coupons, views_verifications  # noqa: E402,F401  (coupons and their records)
from backoffice import views_api_keys  # noqa: E402,F401  (API keys for shops with their own till)
from backoffice import views_benefit_cards  # noqa: E402,F401  (benefit cards)
from backoffice import views_membership  # noqa: E402,F401  (付费会员: paid membership plans and holders)
from backoffice import views_gift_cards  # noqa: E402,F401  (gift cards)
from backoffice import views_cards  # noqa: E402,F401  (count and timed cards)
from backoffice import views_member_cards  # noqa: E402,F401  (lost, replaced and returned cards)
from backoffice import views_orders, views_stored_value  # noqa: E402,F401  (stored value and orders)
from backoffice import views_balance_discount  # noqa: E402,F401  (储值折上折 rules)
from backoffice import views_points_to_balance  # noqa: E402,F401  (积分转储值)
from backoffice import views_prepaid_report  # noqa: E402,F401  (prepaid balance report)
from backoffice import views_order_refunds  # noqa: E402,F401  (order detail and refunds)
from backoffice import views_payment_notifications  # noqa: E402,F401  (支付通知: kept and refused)
from backoffice import views_checkout_settings  # noqa: E402,F401  (收银设置: sharing, earning, multiplier days)
from backoffice import views_checkouts  # noqa: E402,F401  (收银记录: till payments and their refunds)
from backoffice import views_reward_rules  # noqa: E402,F401  (支付后营销 and 会员消费优惠券 rules)
from backoffice import views_audiences  # noqa: E402,F401  (人群: audiences built from member attributes)
from backoffice import views_send_settings, views_sends  # noqa: E402,F401  (群发 and 群发设置)
from backoffice import views_campaign_report, views_campaigns  # noqa: E402,F401  (营销活动)
from backoffice import views_commission, views_performance  # noqa: E402,F401  (提成规则/提成明细, 店员绩效)
from backoffice import views_recruitment, views_recruitment_sms  # noqa: E402,F401  (招募推广: join codes, 9 channels)
from backoffice import views_recruit_settings  # noqa: E402,F401  (招募设置: 邀请有礼 rewards; a member's invitees)
from backoffice import views_channels  # noqa: E402,F401  (渠道分析: what each channel and staff member brought)
from backoffice import views_guides  # noqa: E402,F401  (专属导购: a member's guide, 导购分配)
