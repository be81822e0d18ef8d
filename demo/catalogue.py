"""Coupons and cards of the demo merchant, with a few already in members' hands, so every page has something."""
from sqlalchemy import select

from models import Level
from services.wallet import balance_discount, stored_value
from services.cards import (benefit_issue, benefit_templates, count_timed_issue, count_timed_templates, gift_issue,
                            gift_templates, membership_plans)
from services.coupons import issue as coupon_issue, templates as coupon_templates


def load(session, merchant, owner, members):
    """Create the demo catalogue and give the first members one of each. `members` are ORM rows, in order."""
    level_prices = {str(level.id): price for level, price in zip(_levels(session, merchant), (0, 300, 200))}
    cash = coupon_templates.save_template(session, owner, None, kind="cash", title="满100减20", amount_off=2000,
                                          min_spend=10000, validity_mode="relative", valid_days=30, stock_total=1000,
                                          per_member_limit=2, notes="每桌限用一张，不与其他优惠同享")
    latte = coupon_templates.save_template(session, owner, None, kind="discount", title="拿铁 8.5 折", discount_percent=85,
                                           discount_cap=2000, validity_mode="relative", valid_days=14, shareable=True)
    cake = coupon_templates.save_template(session, owner, None, kind="gift", title="积分换蛋糕", gift_item="提拉米苏一份",
                                          validity_mode="relative", valid_days=30, free_claim=False,
                                          points_prices=level_prices)
    coupon_templates.save_template(session, owner, None, kind="cash", title="9.9 元抢 30 元代金券", amount_off=3000,
                                   min_spend=5000, validity_mode="relative", valid_days=30, stock_total=500,
                                   per_member_limit=3, free_claim=False, price=990)
    count = count_timed_templates.save_template(session, owner, None, kind="count", title="咖啡 10 次卡",
                                                service_name="任意中杯咖啡",
                                                uses=10, valid_days=180, price=25000, cover_color="#6F4E37")
    monthly = count_timed_templates.save_template(session, owner, None, kind="timed", title="自习室时长卡", daily_limit=2,
                                                  tiers=[{"label": "周卡", "days": 7, "price": 9900},
                                                         {"label": "月卡", "days": 30, "price": 29900}],
                                                  start_mode="first_use", photo_required=True, cover_color="#1E6FD9")
    gift = gift_templates.save_template(session, owner, None, title="演示咖啡礼品卡", face_values=[10000, 20000],
                                        themes=[{"label": "生日快乐", "color": "#E2574C"},
                                                {"label": "感谢有你", "color": "#2E86AB"}], activation="auto")
    plus = benefit_templates.save_template(session, owner, None, title="咖啡 Plus 权益卡", valid_days=365,
                                           discount_percent=90, points_multiplier=200, free_items=["每月免费续杯 1 次"],
                                           gift_pack=[{"template_id": cash.id, "count": 1}])
    benefit_templates.save_template(session, owner, None, title="咖啡黑卡", price=9900, valid_days=365,
                                    discount_percent=85, points_multiplier=300, free_items=["生日当月免费蛋糕 1 份"],
                                    gift_pack=[{"template_id": cash.id, "count": 2}])
    membership_plans.save_plan(session, owner, None, title="咖啡年度会员", price=9900, valid_days=365,  # 付费会员
                               discount_percent=88, points_multiplier=150, free_items=["每月免费升杯 2 次"],
                               gift_pack=[{"template_id": latte.id, "count": 1}], cover_color="#8A6D1F",
                               membership_level_id=_levels(session, merchant)[-1].id)
    _hand_out(session, merchant, owner, members, cash, latte, count, monthly, gift, plus)
    _stored_value(session, owner, cash)
    return [cash, latte, cake, count, monthly, gift, plus]


def _stored_value(session, owner, cash):
    """Stored value on, three top-up tiers (one with instalments), and a 储值折上折 table."""
    stored_value.enable(session, owner)
    stored_value.settings_of(session, owner.merchant_id).nudge_mode = "once"
    tier = dict(instalment_total=0, instalment_months=0, points=0, growth=0, coupons=[], active=True,
                starts_on=None, ends_on=None)
    stored_value.save_rule(session, owner, None, **{**tier, "pay_amount": 10000, "bonus": 1000, "sort": 1})
    stored_value.save_rule(session, owner, None, **{**tier, "pay_amount": 50000, "bonus": 8000, "points": 500,
                                                     "growth": 100,
                                                     "coupons": [{"template_id": cash.id, "count": 2}], "sort": 2})
    stored_value.save_rule(session, owner, None, **{**tier, "pay_amount": 100000, "bonus": 20000,
                                                     "instalment_total": 60000, "instalment_months": 6, "sort": 3})
    balance_discount.save_rule(session, owner, None, min_balance=10000, discount_percent=95)
    balance_discount.save_rule(session, owner, None, min_balance=50000, discount_percent=90)


def _levels(session, merchant):
    return session.scalars(select(Level).where(Level.merchant_id == merchant.id).order_by(Level.rank)).all()


def _hand_out(session, merchant, owner, members, cash, latte, count, monthly, gift, plus):
    first, second, third = members[:3]
    for member in (first, second, third):
        coupon_issue.claim(session, merchant, cash.id, member.id, channel="staff", key=f"demo:cash:{member.id}",
                           issued_by=owner)
    coupon_issue.claim(session, merchant, latte.id, first.id, channel="poster_qr", key=f"demo:latte:{first.id}")
    count_timed_issue.issue(session, merchant, count.id, first.id, channel="staff", key=f"demo:count:{first.id}",
                            issued_by=owner, price_paid=25000)
    count_timed_issue.issue(session, merchant, monthly.id, second.id, channel="staff", key=f"demo:timed:{second.id}",
                            tier_key="month", issued_by=owner, price_paid=29900)
    gift_issue.issue_electronic(session, merchant, gift.id, first.id, face_value=20000, theme="生日快乐",
                                channel="staff", key=f"demo:gift:{first.id}", issued_by=owner)
    benefit_issue.issue(session, merchant, plus.id, third.id, channel="staff", key=f"demo:plus:{third.id}",
                        issued_by=owner)
