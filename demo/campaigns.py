"""The demo merchant's campaigns (营销活动): a birthday gift that is on, a dormant wake-up and a Spring Festival drop
kept as drafts for the merchant to look at and switch on."""
from domain import campaigns as rules
from domain.clock import local_today, now_utc
from services.audiences import filters as audience_filters, saved as saved_audiences
from services.campaigns import setup


def load(session, owner, cash, latte):
    today = local_today(owner.merchant.timezone, now_utc())
    birthday = setup.save(session, owner, None, name="生日礼：拿铁 8.5 折", kind="birthday",
                          schedule={"mode": "days_before", "days_before": 3, "hour": 9},
                          rewards={"coupons": [{"template_id": latte.id, "count": 1}], "points": 100},
                          message={"channel": "notice"})
    setup.switch_on(session, owner, birthday.id)
    sleepers = next((a for a in saved_audiences.list_audiences(session, owner.merchant_id) if "沉睡" in a.name), None)
    setup.save(session, owner, None, name="沉睡唤醒：满100减20", kind="dormant", audience_id=sleepers and sleepers.id,
               schedule={"days": 30, "hour": 10, "second_after_days": 15},
               rewards={"coupons": [{"template_id": cash.id, "count": 1}]},
               second_rewards={"coupons": [{"template_id": cash.id, "count": 2}]},
               message={"channel": "notice"}, budget_coupons=500, holdout_percent=10)
    coming = rules.holidays_from(today)
    spring = next((h for h in coming if h.key.startswith("spring")), coming[0] if coming else None)
    if spring is not None:
        everyone = saved_audiences.save(session, owner, None, name="全部会员",
                                        filters=audience_filters.Filters())
        setup.save(session, owner, None, name=f"{spring.name}派券", kind="holiday", audience_id=everyone.id,
                   schedule={"ranges": [{"name": spring.name, "starts": spring.starts.isoformat(),
                                         "ends": spring.ends.isoformat()}], "hour": 9},
                   rewards={"coupons": [{"template_id": cash.id, "count": 1}]}, message={"channel": "notice"})
