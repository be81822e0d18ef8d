"""The demo merchant's recruitment settings: 邀请有礼 rewards for inviters and a commission rule for staff."""
from services.recruitment import commission_rules, referral_settings


def load(session, owner, coupon):
    """An inviter gets 50 points when a friend joins and `coupon` when the friend first pays; staff earn ¥5 a new
    member, 2% of top-ups and 3% of card sales they bring in, and guides 1% of their members' spending for 90 days."""
    referral_settings.save(session, owner, invite_enabled=True, rebind_guide_on_scan=False, rewards={
        "join": [{"points": 50, "coupon_template_id": None}, {"points": 20, "coupon_template_id": None}],
        "first_payment": [{"points": 0, "coupon_template_id": coupon.id}]})
    commission_rules.save(session, owner, enabled=True, per_new_member=500, topup_bp=200, card_sale_bp=300,
                          guided_spend_bp=100, guided_spend_days=90)
