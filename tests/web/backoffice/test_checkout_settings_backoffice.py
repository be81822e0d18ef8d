"""Back office 收银设置: the till's rules saved with previews, 多倍积分日 kept to 10 ranges, owner/admin only."""
from datetime import date

import pytest

from domain import roles
from extensions import db
from models import AuditLog
from models.checkout import CheckoutSettings, PointsMultiplierDay
from services.till import settings as checkout_settings
from tests.web.helpers import count, text_of

URL = "/backoffice/checkout-settings"
GOOD = {"points_per_yuan": "100", "points_max_percent": "50", "random_min": "0.10", "random_max": "1",
        "earn_base": "paid", "earn_per_yuan": "1", "referral_levels": "5", "referral_percent": "10",
        "level_with_coupons": "y"}


def settings(merchant):
    db.session.expire_all()
    return checkout_settings.settings_of(db.session, merchant.id)


def test_are_the_defaults_not_combined_as_in_seed_000(as_owner, merchant):
    page = text_of(as_owner.get(URL))
    assert "等级折扣、优惠券、积分抵扣互不同享" in page and "未开启积分抵扣" in page and "未开启随机立减" in page
    row = settings(merchant)
    assert not (row.level_with_coupons or row.level_with_points or row.coupons_with_points or row.multiple_coupons)
    assert (row.points_per_yuan, row.earn_base, row.earn_per_yuan, row.referral_levels) == (None, "paid", 1, 0)


def test_can_an_owner_save_every_rule_and_read_it_back_in_words(as_owner, merchant):
    response = as_owner.post(URL, data=GOOD)
    assert response.status_code == 302
    row = settings(merchant)
    assert (row.level_with_coupons, row.level_with_points, row.points_per_yuan) == (True, False, 100)
    assert (row.random_min, row.random_max, row.referral_levels, row.referral_percent) == (10, 100, 5, 10)
    page = text_of(as_owner.get(URL))
    assert "可同享：等级折扣+优惠券" in page
    assert "100 积分抵 ¥1，最多抵扣订单的 50%：¥100 的订单最多用 5000 积分抵 ¥50.00" in page
    assert "随机立减 ¥0.10 至 ¥1.00" in page
    assert "会员消费得 1000 积分时，1 至 5 级推荐人各得 100 积分（10%）" in page
    assert count(AuditLog, AuditLog.action == "checkout.settings") == 1


@pytest.mark.parametrize("change, message", [
    ({"random_min": "5", "random_max": "1"}, "最高金额不能低于最低金额"),
    ({"random_max": "1000.01"}, "随机立减最高不能超过 ¥1000"),
    ({"random_max": "abc"}, "金额"),
    ({"referral_levels": "6"}, "不是有效的选择"),
    ({"referral_percent": "101"}, "分成比例须在 0 到 100 之间"),
    ({"points_per_yuan": "0"}, "积分抵扣比例须在 1 到 100000 之间"),
    ({"earn_per_yuan": ""}, "请填写每 ¥1 得多少积分"),
    ({"earn_base": "gross"}, "不是有效的选择"),
])
def test_are_bad_settings_refused_with_nothing_saved(as_owner, merchant, change, message):
    response = as_owner.post(URL, data={**GOOD, **change})
    assert response.status_code == 400
    assert message in text_of(response)
    assert settings(merchant).referral_levels == 0


def day(client, **fields):
    data = {"label": "国庆", "kind": "range", "starts_on": "2026-10-01", "ends_on": "2026-10-07", "weekday": "2",
            "multiplier": "2", "active": "y", **fields}
    return client.post(f"{URL}/days/new", data=data)


def test_does_a_holiday_show_with_the_seed_preview(as_owner, merchant):
    assert day(as_owner).status_code == 302
    assert day(as_owner, label="周三会员日", kind="weekday", starts_on="", ends_on="", multiplier="1.5").status_code == 302
    page = text_of(as_owner.get(URL))
    assert "国庆：2026-10-01 至 10-07 积分 2 倍" in page and "周三会员日：每周三 积分 1.5 倍" in page
    assert "会员在 2026-10-01 至 10-07 消费 ¥100（金卡 1.5 倍，国庆 2 倍，不叠加）得 200 积分" in page
    weekly = db.session.query(PointsMultiplierDay).filter_by(weekday=2).one()
    assert (weekly.starts_on, weekly.multiplier_tenths) == (None, 15)


def test_are_only_ten_date_ranges_allowed(as_owner, merchant):
    for n in range(10):
        assert day(as_owner, label=f"节日{n}", starts_on=f"2026-01-{n + 1:02d}",
                   ends_on=f"2026-01-{n + 1:02d}").status_code == 302
    response = day(as_owner, label="第十一个")
    assert response.status_code == 400 and "日期范围最多设置 10 个" in text_of(response)
    assert day(as_owner, label="周五", kind="weekday").status_code == 302  # weekdays are counted apart
    assert count(PointsMultiplierDay) == 11


@pytest.mark.parametrize("fields, message", [
    ({"multiplier": "1"}, "倍数须大于 1 倍"),
    ({"multiplier": "10.5"}, "倍数须大于 1 倍"),
    ({"multiplier": "2.25"}, "倍数须大于 1 倍"),
    ({"label": ""}, "请填写名称"),
    ({"starts_on": ""}, "请填写开始和结束日期"),
    ({"starts_on": "2026-10-08"}, "结束日期不能早于开始日期"),
    ({"ends_on": "2027-12-01"}, "日期范围不能超过一年"),
    ({"kind": "weekday", "weekday": "9"}, "不是有效的选择"),
])
def test_are_bad_days_refused_with_a_clear_message(as_owner, fields, message):
    response = day(as_owner, **fields)
    assert response.status_code == 400
    assert message in text_of(response)
    assert count(PointsMultiplierDay) == 0


def test_can_a_day_be_edited_into_a_weekday_and_deleted(as_owner, merchant):
    day(as_owner)
    row = db.session.query(PointsMultiplierDay).one()
    response = as_owner.post(f"{URL}/days/{row.id}/edit", data={"label": "周三会员日", "kind": "weekday",
                                                                "weekday": "2", "multiplier": "3", "active": "y"})
    assert response.status_code == 302
    db.session.refresh(row)
    assert (row.weekday, row.starts_on, row.multiplier_tenths) == (2, None, 30)
    assert as_owner.post(f"{URL}/days/{row.id}/delete").status_code == 302
    assert count(PointsMultiplierDay) == 0


def test_is_a_cashier_refused_403(sign_in_as, client, merchant):
    sign_in_as(roles.CASHIER)
    assert client.get(URL).status_code == 403
    assert client.post(URL, data=GOOD).status_code == 403
    assert day(client).status_code == 403
    assert count(CheckoutSettings, CheckoutSettings.referral_levels == 5) == 0


def test_can_an_admin_change_the_settings(sign_in_as, client, merchant):
    sign_in_as(roles.ADMIN)
    assert client.post(URL, data=GOOD).status_code == 302


def test_is_another_merchants_day_a_404(as_owner, make, merchant):
    other = make.merchant(name="别家")
    boss = make.staff(other, role=roles.OWNER)
    theirs = checkout_settings.save_multiplier_day(db.session, boss, None, label="别家节日", multiplier_tenths=20,
                                                   starts_on=date(2026, 5, 1), ends_on=date(2026, 5, 3))
    db.session.commit()
    assert as_owner.get(f"{URL}/days/{theirs.id}/edit").status_code == 404
    assert day(as_owner).status_code == 302
    assert as_owner.post(f"{URL}/days/{theirs.id}/edit", data={"label": "x", "kind": "weekday", "weekday": "1",
                                                               "multiplier": "2"}).status_code == 404
    assert as_owner.post(f"{URL}/days/{theirs.id}/delete").status_code == 404
    db.session.expire_all()
    assert db.session.get(PointsMultiplierDay, theirs.id).label == "别家节日"


def test_is_the_page_in_the_navigation_for_an_owner(as_owner):
    assert f'href="{URL}"' in text_of(as_owner.get("/backoffice/"))
