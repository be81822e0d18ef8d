"""Stored value rules without a database: special periods, what a tier gives, guard rails, previews."""
from dataclasses import dataclass, field
from datetime import date

import pytest

from domain import stored_value as rules
from domain.errors import Conflict, DomainError


@dataclass
class Tier:
    id: int
    pay_amount: int
    bonus: int = 0
    instalment_total: int = 0
    instalment_months: int = 0
    points: int = 0
    growth: int = 0
    coupons: list = field(default_factory=list)
    active: bool = True
    sort: int = 0
    starts_on: date | None = None
    ends_on: date | None = None


def valid(**overrides):
    values = dict(pay_amount=10000, bonus=1000, instalment_total=0, instalment_months=0, points=0, growth=0,
                  coupons=[], starts_on=None, ends_on=None)
    values.update(overrides)
    return values


def test_do_special_period_tiers_replace_the_regular_ones_on_their_dates_only():
    regular = [Tier(1, 10000, 1000), Tier(2, 50000, 8000)]
    holiday = Tier(3, 10000, 3000, starts_on=date(2030, 10, 1), ends_on=date(2030, 10, 7))
    tiers = regular + [holiday]
    assert [t.id for t in rules.in_force(tiers, date(2030, 10, 1))] == [3]
    assert [t.id for t in rules.in_force(tiers, date(2030, 10, 7))] == [3]
    assert [t.id for t in rules.in_force(tiers, date(2030, 10, 8))] == [1, 2]
    assert [t.id for t in rules.in_force(tiers, date(2030, 9, 30))] == [1, 2]


def test_are_inactive_tiers_left_out_even_during_their_period():
    tiers = [Tier(1, 10000), Tier(2, 20000, active=False, starts_on=date(2030, 1, 1), ends_on=date(2030, 1, 2))]
    assert [t.id for t in rules.in_force(tiers, date(2030, 1, 1))] == [1]


def test_are_tiers_ordered_by_sort_then_amount():
    tiers = [Tier(1, 50000), Tier(2, 10000), Tier(3, 90000, sort=-1)]
    assert [t.id for t in rules.in_force(tiers, date(2030, 1, 1))] == [3, 2, 1]


def test_does_a_tier_quote_carry_principal_bonus_gifts_and_the_instalment_plan():
    tier = Tier(7, 100000, bonus=10000, instalment_total=90000, instalment_months=9, points=200, growth=50,
                coupons=[{"template_id": 4, "count": 2}])
    quote = rules.quote_rule(tier)
    assert quote.amount == 100000
    assert quote.items["principal"] == 100000 and quote.items["bonus"] == 10000 and quote.items["rule_id"] == 7
    assert quote.items["points"] == 200 and quote.items["growth"] == 50
    assert quote.items["coupons"] == [{"template_id": 4, "count": 2}]
    assert quote.items["instalments"] == {"total": 90000, "months": 9, "schedule": [10000] * 9}


def test_does_an_uneven_instalment_schedule_add_up_to_the_total_fen_for_fen():
    schedule = rules.instalment_schedule(100001, 3)
    assert sum(schedule) == 100001 and max(schedule) - min(schedule) <= 1
    assert rules.instalment_schedule(0, 0) == []


@pytest.mark.parametrize("amount,message", [(999, "10 到 5000"), (500001, "10 到 5000")])
def test_is_a_custom_amount_outside_the_range_refused(amount, message):
    with pytest.raises(DomainError, match=message):
        rules.quote_custom(amount, allowed=True, custom_min=1000, custom_max=500000)


def test_is_a_custom_amount_refused_when_the_merchant_does_not_allow_it():
    with pytest.raises(DomainError, match="不支持自定义"):
        rules.quote_custom(5000, allowed=False, custom_min=1000, custom_max=500000)


def test_does_a_custom_amount_give_principal_only():
    quote = rules.quote_custom(12345, allowed=True, custom_min=1000, custom_max=500000)
    assert quote.amount == 12345 and quote.items["bonus"] == 0 and quote.items["coupons"] == []


def test_does_the_balance_cap_count_the_instalments_still_to_come():
    items = rules.quote_rule(Tier(1, 100000, bonus=10000, instalment_total=90000, instalment_months=9)).items
    rules.check_balance_cap(300000, items, 500000)
    with pytest.raises(Conflict, match="超过上限 5000"):
        rules.check_balance_cap(300001, items, 500000)


@pytest.mark.parametrize("overrides,message", [
    ({"pay_amount": 0}, "充值金额须大于 0"),
    ({"bonus": -1}, "赠送金额不能为负数"),
    ({"instalment_total": 1000}, "同时填写金额和月数"),
    ({"instalment_months": 3}, "同时填写金额和月数"),
    ({"instalment_months": 37, "instalment_total": 10000}, "0 到 36"),
    ({"starts_on": date(2030, 1, 2)}, "同时填写开始和结束"),
    ({"starts_on": date(2030, 1, 2), "ends_on": date(2030, 1, 1)}, "不能早于"),
    ({"coupons": [{"template_id": n, "count": 1} for n in range(6)]}, "最多赠送 5 种"),
    ({"coupons": [{"template_id": 1, "count": 11}]}, "1 到 10 张"),
    ({"coupons": [{"template_id": 1, "count": 1}, {"template_id": 1, "count": 2}]}, "只选一次"),
    ({"points": -5}, "赠送积分"),
])
def test_is_an_insane_tier_refused_with_a_chinese_reason(overrides, message):
    with pytest.raises(DomainError, match=message):
        rules.check_rule(**valid(**overrides))


def test_is_a_sane_tier_accepted():
    rules.check_rule(**valid(instalment_total=90000, instalment_months=9, starts_on=date(2030, 1, 1),
                             ends_on=date(2030, 1, 1), coupons=[{"template_id": 1, "count": 2}]))


def test_does_the_preview_read_like_the_merchant_would_say_it():
    tier = Tier(1, 10000, bonus=1000, points=200, growth=30, coupons=[{"template_id": 9, "count": 2}])
    assert rules.preview(tier, {9: "满100减20"}) == "充 100 送 10，赠 200 积分，赠 30 成长值，赠 2 张满100减20"
    assert rules.preview(Tier(2, 100000, instalment_total=90000, instalment_months=9), {}) == \
        "充 1000，分 9 个月再返 900"


def test_are_settings_with_an_inverted_custom_range_refused():
    with pytest.raises(DomainError, match="不能低于下限"):
        rules.check_settings(custom_min=5000, custom_max=1000, nudge_mode="off", max_balance=1,
                             anonymous_max_face=1, real_name_threshold=1)
    with pytest.raises(DomainError, match="提醒方式"):
        rules.check_settings(custom_min=1, custom_max=1, nudge_mode="sometimes", max_balance=1,
                             anonymous_max_face=1, real_name_threshold=1)


@pytest.mark.parametrize("day,months,expected", [
    (date(2030, 1, 31), 1, date(2030, 2, 28)),
    (date(2032, 1, 31), 1, date(2032, 2, 29)),
    (date(2030, 3, 31), 1, date(2030, 4, 30)),
    (date(2030, 11, 15), 2, date(2031, 1, 15)),
    (date(2030, 5, 10), 36, date(2033, 5, 10)),
])
def test_does_adding_months_keep_the_day_or_clamp_to_the_months_end(day, months, expected):
    assert rules.add_months(day, months) == expected


def test_is_the_nth_instalment_due_n_months_after_payment():
    paid = date(2030, 1, 31)
    assert rules.instalments_due(paid, 3, date(2030, 2, 27)) == 0
    assert rules.instalments_due(paid, 3, date(2030, 2, 28)) == 1
    assert rules.instalments_due(paid, 3, date(2030, 4, 30)) == 3
    assert rules.instalments_due(paid, 3, date(2031, 1, 1)) == 3
