"""Referral reward rules without a database: the table checked cell by cell, the levels that pay, the key, and the
sentences for the settings page and the member's invite page."""
import pytest

from domain.errors import DomainError
from domain.referrals import (MAX_REWARD_POINTS, clean_rewards, empty_rewards, gift_words, member_lines, paid_levels,
                              preview, reward_key)


def test_is_an_empty_table_three_levels_of_nothing_per_event():
    table = clean_rewards({})
    assert table == empty_rewards()
    assert [len(table[e]) for e in ("join", "first_payment")] == [3, 3]
    assert paid_levels(table, "join") == []


def test_are_short_tables_filled_and_blank_cells_nothing():
    table = clean_rewards({"join": [{"points": 10}, {"points": "", "coupon_template_id": ""}]})
    assert table["join"] == [{"points": 10, "coupon_template_id": None}, {"points": 0, "coupon_template_id": None},
                             {"points": 0, "coupon_template_id": None}]


@pytest.mark.parametrize("raw, message", [
    ({"join": [{"points": -1}]}, "不能为负数"),
    ({"join": [{"points": MAX_REWARD_POINTS + 1}]}, "不能超过"),
    ({"join": [{"points": "10"}]}, "须为整数"),
    ({"join": [{"points": True}]}, "须为整数"),
    ({"join": [{"points": 1.5}]}, "须为整数"),
    ({"join": [{"coupon_template_id": "3"}]}, "所选优惠券不存在"),
    ({"join": [{"coupon_template_id": -3}]}, "所选优惠券不存在"),
    ({"join": [{"coupon_template_id": 2**40}]}, "所选优惠券不存在"),
    ({"join": [{}, {}, {}, {}]}, "最多设置 3 级"),
    ({"join": "lots"}, "最多设置 3 级"),
    ({"join": ["x"]}, "奖励格式不正确"),
    ({"refund": []}, "奖励设置格式不正确"),
    ([], "奖励设置格式不正确"),
])
def test_is_a_bad_cell_refused_naming_where_it_is(raw, message):
    with pytest.raises(DomainError, match=message):
        clean_rewards(raw)


def test_does_a_refusal_name_the_event_and_level():
    with pytest.raises(DomainError, match="好友首次消费 · 二级邀请人：积分不能为负数"):
        clean_rewards({"first_payment": [{}, {"points": -5}]})


def test_are_only_the_levels_that_give_something_paid_nearest_first():
    table = clean_rewards({"join": [{"points": 0}, {"coupon_template_id": 7}, {"points": 3, "coupon_template_id": 8}]})
    assert paid_levels(table, "join") == [(2, 0, 7), (3, 3, 8)]
    assert paid_levels({"join": [{"points": 5}] * 5}, "join") == [(1, 5, None), (2, 5, None), (3, 5, None)]


def test_is_the_key_one_per_invitee_event_and_level():
    assert reward_key(12, "join", 1) == "referral:12:join:1"
    assert len({reward_key(12, e, lv) for e in ("join", "first_payment") for lv in (1, 2, 3)}) == 6


def test_do_the_sentences_say_what_each_level_gets():
    table = clean_rewards({"join": [{"points": 100, "coupon_template_id": 3}, {"points": 20}],
                           "first_payment": [{"coupon_template_id": 4}]})
    titles = {3: "满50减10", 4: "首单券"}
    text = preview(table, titles, invite_enabled=True)
    assert text.startswith("好友通过会员的邀请链接开卡后，直接邀请人得 100 积分 + 满50减10；二级邀请人得 20 积分。"
                           "被邀请的好友首次消费（到店或线上支付）后，直接邀请人得首单券。")
    assert "自己邀请自己" in text
    assert member_lines(table, titles) == ["好友通过你的邀请开卡，你得 100 积分 + 满50减10",
                                           "你邀请的好友再邀请新朋友开卡，你得 20 积分", "好友首次消费，你再得首单券"]
    assert preview(table, titles, invite_enabled=False).startswith("邀请有礼已关闭")
    assert preview(clean_rewards({}), {}, invite_enabled=True).startswith("邀请有礼已开启，但尚未设置奖励")
    assert gift_words(0, "") == "" and gift_words(5, None) == "5 积分"
