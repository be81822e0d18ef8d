"""Count and timed card rules: uses, tiers, start, extension, today's window, reasons, and the state tables."""
from datetime import datetime, timedelta, timezone

import pytest

from domain import cards
from domain import timed_cards as rules
from domain.errors import Conflict, DomainError

T0 = datetime(2030, 3, 10, 4, 0, tzinfo=timezone.utc)  # 12:00 in Shanghai
SH = "Asia/Shanghai"


def test_does_the_last_use_of_a_count_card_end_it():
    assert rules.take_uses(3, 1) == (2, cards.ACTIVE)
    assert rules.take_uses(3, 3) == (0, cards.USED_UP)


@pytest.mark.parametrize("left,n", [(2, 3), (0, 1)])
def test_is_taking_more_uses_than_are_left_refused(left, n):
    with pytest.raises(DomainError, match=f"剩余 {left} 次"):
        rules.take_uses(left, n)


@pytest.mark.parametrize("n", [0, -1, "2", 1.5])
def test_is_a_non_positive_or_non_integer_number_of_uses_refused(n):
    with pytest.raises(DomainError, match="核销次数须为正整数"):
        rules.take_uses(5, n)


def test_does_an_undo_give_uses_back_but_never_beyond_the_total():
    assert rules.put_back_uses(0, 10, 2) == (2, cards.ACTIVE)
    with pytest.raises(DomainError):
        rules.put_back_uses(9, 10, 2)


def test_does_a_count_card_end_at_local_midnight_after_its_valid_days():
    late_evening = datetime(2030, 3, 10, 15, 30, tzinfo=timezone.utc)  # 23:30 in Shanghai on the 10th
    assert rules.count_end(late_evening, 2, SH) == datetime(2030, 3, 11, 16, 0, tzinfo=timezone.utc)
    assert rules.count_end(late_evening, None, SH) is None


def test_do_standard_tiers_get_standard_keys_and_duplicates_get_distinct_ones():
    tiers = rules.clean_tiers([{"label": "周卡", "days": 7, "price": 1000}, {"label": "月卡", "days": 30, "price": 3000},
                               {"label": "季卡", "days": 90, "price": 8000}, {"label": "特惠月", "days": 30, "price": 2500},
                               {"label": "十天", "days": 10, "price": 1500}])
    assert [t.key for t in tiers] == ["week", "month", "quarter", "month_4", "d10"]


@pytest.mark.parametrize("rows,message", [
    ([], "至少需要一个时长档位"),
    ([{"label": "", "days": 7, "price": 1}], "请填写时长档位的名称"),
    ([{"label": "周卡", "days": 0, "price": 1}], "天数须在"),
    ([{"label": "周卡", "days": 7, "price": None}], "须设置价格"),
    ([{"label": "周卡", "days": 7, "price": -1}], "须设置价格"),
    ([{"label": f"档{i}", "days": i + 1, "price": 1} for i in range(7)], "最多 6 个"),
])
def test_are_bad_tiers_refused(rows, message):
    with pytest.raises(DomainError, match=message):
        rules.clean_tiers(rows)


def test_does_picking_a_tier_need_a_key_only_when_there_are_several():
    one = [{"key": "month", "label": "月卡", "days": 30, "price": 3000}]
    assert rules.pick_tier(one, None).days == 30
    two = one + [{"key": "week", "label": "周卡", "days": 7, "price": 1000}]
    assert rules.pick_tier(two, "week").days == 7
    with pytest.raises(DomainError, match="请选择时长档位"):
        rules.pick_tier(two, None)
    with pytest.raises(DomainError, match="请选择时长档位"):
        rules.pick_tier(two, "year")


@pytest.mark.parametrize("mode,after,limit,ok", [
    ("first_use", 0, None, True), ("after_days", 3, 2, True), ("after_days", -1, None, False),
    ("after_days", 400, None, False), ("sometime", 0, None, False), ("first_use", 0, 0, False),
])
def test_are_start_modes_and_daily_limits_checked(mode, after, limit, ok):
    if ok:
        rules.check_timed_rules(mode, after, limit)
    else:
        with pytest.raises(DomainError):
            rules.check_timed_rules(mode, after, limit)


def test_does_a_first_use_card_wait_without_a_window():
    assert rules.timed_start("first_use", 0, 30, T0, SH) == rules.Start(cards.PENDING, None, None)
    assert rules.started_window(T0, 30) == (T0, T0 + timedelta(days=30))


def test_does_an_after_days_card_start_at_local_midnight_n_days_on():
    start = rules.timed_start("after_days", 2, 30, T0, SH)
    midnight = datetime(2030, 3, 11, 16, 0, tzinfo=timezone.utc)  # 2030-03-12 00:00 in Shanghai
    assert start == rules.Start(cards.PENDING, midnight, midnight + timedelta(days=30))


def test_does_an_after_zero_days_card_start_at_once():
    assert rules.timed_start("after_days", 0, 7, T0, SH) == rules.Start(cards.ACTIVE, T0, T0 + timedelta(days=7))


def test_does_5_days_left_plus_a_30_day_tier_make_35_days():
    ends = T0 + timedelta(days=5)
    days, new_end = rules.extend(30, ends, 30)
    assert days == 60 and new_end == T0 + timedelta(days=35)
    assert rules.days_left(new_end, T0) == 35


def test_does_a_card_not_started_yet_just_grow():
    assert rules.extend(30, None, 7) == (37, None)


@pytest.mark.parametrize("state,ends,extendable", [
    (cards.ACTIVE, T0 + timedelta(days=1), True), (cards.PENDING, None, True),
    (cards.ACTIVE, T0 - timedelta(seconds=1), False), (cards.EXPIRED, None, False), (cards.VOIDED, None, False),
])
def test_which_held_cards_take_a_new_purchase_as_an_extension(state, ends, extendable):
    assert rules.is_extendable(state, ends, T0) is extendable


def test_do_days_left_round_a_part_day_up():
    assert rules.days_left(T0 + timedelta(hours=1), T0) == 1
    assert rules.days_left(T0 + timedelta(days=2), T0) == 2
    assert rules.days_left(T0, T0) == 0
    assert rules.days_left(None, T0) == 0


def test_is_today_the_merchants_local_day():
    just_after_local_midnight = datetime(2030, 3, 10, 16, 5, tzinfo=timezone.utc)  # 00:05 on the 11th in Shanghai
    start, end = rules.local_day_bounds(just_after_local_midnight, SH)
    assert start == datetime(2030, 3, 10, 16, 0, tzinfo=timezone.utc)
    assert end - start == timedelta(days=1)
    assert rules.local_day_bounds(just_after_local_midnight, "UTC")[0] == datetime(2030, 3, 10, tzinfo=timezone.utc)


def usage(**overrides):
    values = dict(kind=cards.TIMED, state=cards.ACTIVE, starts_at=T0 - timedelta(days=1),
                  ends_at=T0 + timedelta(days=1), store_ok=True)
    values.update(overrides)
    return rules.Usage(**values)


@pytest.mark.parametrize("overrides,reason", [
    ({}, None),
    ({"state": cards.PENDING, "starts_at": None, "ends_at": None}, None),
    ({"state": cards.VOIDED}, "该时长卡已作废"),
    ({"kind": cards.COUNT, "state": cards.USED_UP, "uses_left": 0}, "该次卡已用完"),
    ({"state": cards.PENDING, "starts_at": T0 + timedelta(days=2)}, "该时长卡 2030-03-12 起可用"),
    ({"ends_at": T0}, "该时长卡已过期"),
    ({"store_ok": False}, "该时长卡不能在本门店使用"),
    ({"kind": cards.COUNT, "uses_left": 1, "wanted": 2}, "剩余 1 次，不够扣 2 次"),
    ({"daily_limit": 2, "used_today": 2}, "今日已使用 2 次，已达每日上限 2 次"),
    ({"daily_limit": 2, "used_today": 1}, None),
    ({"photo_required": True}, "该时长卡需核对本人照片，会员尚未上传照片"),
    ({"photo_required": True, "has_photo": True}, None),
    ({"state": cards.EXPIRED, "extended_into": "ABCD"}, "这笔购买已续期到时长卡 ABCD，请出示该卡"),
])
def test_why_can_a_card_not_be_used(overrides, reason):
    assert rules.why_not_usable(usage(**overrides), T0, SH) == reason


def test_is_a_pending_count_card_never_usable():
    assert rules.why_not_usable(usage(kind=cards.COUNT, state=cards.PENDING), T0, SH) == "该次卡未开始"


ALL_MOVES = [(kind, current, target) for kind in (cards.COUNT, cards.TIMED)
             for current in cards.STATES for target in cards.STATES if current != target]
ALLOWED = {(cards.COUNT, cards.ACTIVE, cards.USED_UP), (cards.COUNT, cards.ACTIVE, cards.EXPIRED),
           (cards.COUNT, cards.ACTIVE, cards.VOIDED), (cards.COUNT, cards.ACTIVE, cards.REFUNDED),
           (cards.COUNT, cards.USED_UP, cards.ACTIVE),
           (cards.TIMED, cards.PENDING, cards.ACTIVE), (cards.TIMED, cards.PENDING, cards.VOIDED),
           (cards.TIMED, cards.PENDING, cards.REFUNDED), (cards.TIMED, cards.PENDING, cards.EXPIRED),
           (cards.TIMED, cards.ACTIVE, cards.EXPIRED), (cards.TIMED, cards.ACTIVE, cards.VOIDED),
           (cards.TIMED, cards.ACTIVE, cards.REFUNDED)}


@pytest.mark.parametrize("kind,current,target", ALL_MOVES)
def test_is_each_count_and_timed_card_transition_allowed_or_refused(kind, current, target):
    if (kind, current, target) in ALLOWED:
        assert cards.move(kind, current, target) == target
    else:
        with pytest.raises(Conflict):
            cards.move(kind, current, target)
