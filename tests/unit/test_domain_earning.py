"""Points earned at the till: multipliers (level, holiday/weekday, benefit card), the base, referral shares."""
from datetime import date

import pytest

from domain import earning
from domain.earning import MultiplierDay, day_multiplier, earn_base, points_earned, referral_shares
from domain.errors import DomainError

NATIONAL_DAY = MultiplierDay("国庆", 20, date(2026, 10, 1), date(2026, 10, 7))
WEDNESDAY = MultiplierDay("周三会员日", 15, weekday=2)


def test_does_a_member_earn_double_points_on_a_configured_holiday():
    """Seed 000 (节假日多倍积分): ¥100 at 1 point per ¥1 on a 2x holiday earns 200 points."""
    tenths, label = day_multiplier([NATIONAL_DAY], date(2026, 10, 3))
    assert (tenths, label) == (20, "国庆")
    assert points_earned(base_fen=10000, earn_per_yuan=1, day_tenths=tenths) == 200


def test_is_an_ordinary_day_single_points():
    assert day_multiplier([NATIONAL_DAY, WEDNESDAY], date(2026, 10, 8)) == (10, "")  # a Thursday
    assert points_earned(base_fen=10000, earn_per_yuan=1) == 100


def test_does_a_weekday_rule_apply_every_such_weekday_only():
    assert day_multiplier([WEDNESDAY], date(2026, 11, 25)) == (15, "周三会员日")
    assert day_multiplier([WEDNESDAY], date(2026, 12, 2)) == (15, "周三会员日")
    assert day_multiplier([WEDNESDAY], date(2026, 11, 26)) == (10, "")


def test_when_a_holiday_falls_on_member_day_does_the_best_rule_win():
    assert day_multiplier([WEDNESDAY, NATIONAL_DAY], date(2026, 10, 7)) == (20, "国庆")  # a Wednesday


@pytest.mark.parametrize("level, day, card, compound, points", [
    (15, 20, 100, False, 200),   # not compound: the highest of the three
    (15, 20, 100, True, 300),    # compound: 1.5 x 2
    (15, 10, 120, False, 150),
    (15, 20, 120, True, 360),
    (10, 10, 100, True, 100),
    (0, 10, 100, False, 100),    # a level with no points still gets the day's rate when not compounding
    (0, 20, 100, True, 0),
])
def test_do_multipliers_compound_only_when_the_merchant_says_so(level, day, card, compound, points):
    assert points_earned(base_fen=10000, earn_per_yuan=1, level_tenths=level, day_tenths=day,
                         benefit_percent=card, compound=compound) == points


@pytest.mark.parametrize("base_fen, per_yuan, level, points", [
    (999, 1, 10, 9),        # ¥9.99 -> 9 points: floor, never rounded up
    (199, 1, 15, 2),        # 1.99 x 1.5 = 2.985 -> 2
    (10001, 3, 15, 450),    # 100.01 x 3 x 1.5 = 450.045 -> 450
    (0, 5, 20, 0),
    (-100, 1, 10, 0),
    (10000, 0, 20, 0),
])
def test_are_points_floored_once_at_the_end(base_fen, per_yuan, level, points):
    assert points_earned(base_fen=base_fen, earn_per_yuan=per_yuan, level_tenths=level) == points


def test_is_the_base_what_was_paid_or_the_order_amount():
    assert earn_base(base="paid", amount=10000, pay=7000, balance_paid=3000) == 7000
    assert earn_base(base="amount", amount=10000, pay=7000, balance_paid=3000) == 10000
    with pytest.raises(DomainError):
        earn_base(base="other", amount=1, pay=1, balance_paid=0)


def test_five_level_referral_at_ten_percent():
    """Seed 004 (积分分成): 1000 points earned -> each of five referrer levels gets 100."""
    assert referral_shares(1000, 5, 10) == [100, 100, 100, 100, 100]


@pytest.mark.parametrize("points, levels, percent, shares", [
    (15, 3, 10, [1, 1, 1]), (9, 2, 10, [0, 0]), (1000, 0, 10, []), (0, 2, 10, [0, 0]), (1000, 1, 100, [1000]),
])
def test_are_referral_shares_floored_per_level(points, levels, percent, shares):
    assert referral_shares(points, levels, percent) == shares


def test_does_the_preview_read_like_the_seed():
    gold = earning.preview(amount_fen=10000, earn_per_yuan=1, compound=False, level_name="金卡", level_tenths=15,
                           day=NATIONAL_DAY)
    assert gold == "会员在 2026-10-01 至 10-07 消费 ¥100（金卡 1.5 倍，国庆 2 倍，不叠加）得 200 积分"
    both = earning.preview(amount_fen=10000, earn_per_yuan=1, compound=True, level_name="金卡", level_tenths=15,
                           day=WEDNESDAY)
    assert both == "会员在 每周三 消费 ¥100（金卡 1.5 倍，周三会员日 1.5 倍，叠加）得 225 积分"
    assert earning.preview(amount_fen=10000, earn_per_yuan=2, compound=False) == "会员消费 ¥100 得 200 积分"
    assert earning.referral_preview(1000, 5, 10) == "会员消费得 1000 积分时，1 至 5 级推荐人各得 100 积分（10%）"


@pytest.mark.parametrize("day, message", [
    (MultiplierDay("", 20, weekday=1), "名称"),
    (MultiplierDay("x", 10, weekday=1), "倍数"),
    (MultiplierDay("x", 101, weekday=1), "倍数"),
    (MultiplierDay("x", 20), "二选一"),
    (MultiplierDay("x", 20, date(2026, 1, 1), date(2026, 1, 2), weekday=1), "二选一"),
    (MultiplierDay("x", 20, date(2026, 1, 2), date(2026, 1, 1)), "结束日期"),
    (MultiplierDay("x", 20, date(2026, 1, 2), None), "同时填写"),
    (MultiplierDay("x", 20, date(2026, 1, 1), date(2027, 1, 5)), "一年"),
    (MultiplierDay("x", 20, weekday=7), "周一到周日"),
])
def test_are_bad_multiplier_days_refused_with_a_reason(day, message):
    with pytest.raises(DomainError, match=message):
        earning.check_day(day)


def test_are_out_of_range_settings_refused_in_words():
    good = dict(points_per_yuan=None, points_max_percent=50, random_min=0, random_max=0, earn_base="paid",
                earn_per_yuan=1, referral_levels=0, referral_percent=10)
    earning.check_settings(**good)
    for change, message in [({"referral_levels": 6}, "0 到 5 级"), ({"random_min": 200, "random_max": 100}, "最低"),
                            ({"random_max": 100001}, "¥1000"), ({"points_per_yuan": 0}, "积分抵扣"),
                            ({"earn_per_yuan": 1001}, "每 ¥1")]:
        with pytest.raises(DomainError, match=message):
            earning.check_settings(**{**good, **change})
