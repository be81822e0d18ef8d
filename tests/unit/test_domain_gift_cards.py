"""Gift card rules without a database: numbers, PINs, typed input, labels, link expiry, the state machine."""
from datetime import UTC, datetime, timedelta

import pytest

from domain import cards
from domain import gift_cards as rules
from domain.errors import Conflict, DomainError

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_does_every_new_card_number_have_16_digits_and_a_valid_check_digit():
    numbers = {rules.new_card_no() for _ in range(500)}
    assert len(numbers) == 500
    assert all(len(n) == 16 and n.isdigit() and rules.luhn_valid(n) for n in numbers)


@pytest.mark.parametrize("number,valid", [
    ("4539578763621486", True),  # a published Luhn example
    ("4539578763621487", False),
    ("79927398713", True),
    ("79927398710", False),
])
def test_does_the_luhn_check_agree_with_known_numbers(number, valid):
    assert rules.luhn_valid(number) is valid


def test_is_a_single_mistyped_digit_caught_by_the_check_digit():
    number = rules.new_card_no()
    for position in range(16):
        wrong = str((int(number[position]) + 1) % 10)
        typo = number[:position] + wrong + number[position + 1:]
        assert not rules.luhn_valid(typo)


def test_are_pins_8_digits_and_not_all_the_same():
    pins = {rules.new_pin() for _ in range(200)}
    assert all(len(p) == 8 and p.isdigit() for p in pins)
    assert len(pins) > 190


def test_does_a_typed_card_number_lose_its_spaces_and_dashes():
    number = rules.new_card_no()
    typed = f" {number[:4]} {number[4:8]}-{number[8:12]} {number[12:]} "
    assert rules.normalise_card_no(typed) == number
    assert rules.format_card_no(number) == f"{number[:4]} {number[4:8]} {number[8:12]} {number[12:]}"


@pytest.mark.parametrize("typed,message", [
    ("", "卡号应为 16 位数字"),
    ("123456789012345", "卡号应为 16 位数字"),
    ("12345678901234ab", "卡号应为 16 位数字"),
    ("4539578763621487", "卡号不正确"),
])
def test_is_a_bad_card_number_refused_in_chinese(typed, message):
    with pytest.raises(DomainError) as refused:
        rules.normalise_card_no(typed)
    assert message in refused.value.message


@pytest.mark.parametrize("typed,ok", [("1234 5678", True), ("1234567", False), ("abcdefgh", False), ("", False)])
def test_must_a_pin_be_8_digits(typed, ok):
    if ok:
        assert rules.normalise_pin(typed) == "12345678"
    else:
        with pytest.raises(DomainError, match="密码应为 8 位数字"):
            rules.normalise_pin(typed)


@pytest.mark.parametrize("state,label", [
    (cards.INACTIVE, "未激活"), (cards.CLAIMED, "已领取未激活"), (cards.ACTIVE, "已激活"),
    (cards.TRANSFERRING, "转赠中"), (cards.TRANSFERRED, "已转赠"), (cards.USED_UP, "已用完"), (cards.VOIDED, "已作废"),
])
def test_does_each_gift_card_state_have_its_chinese_label(state, label):
    assert rules.state_label(state) == label


def test_does_a_transfer_link_expire_exactly_24_hours_after_it_was_made():
    expires = rules.transfer_expires_at(NOW)
    assert expires == NOW + timedelta(hours=24)
    assert not rules.transfer_expired(expires, expires - timedelta(seconds=1))
    assert rules.transfer_expired(expires, expires)


@pytest.mark.parametrize("state,ends_at,store_ok,reason", [
    (cards.ACTIVE, None, True, None),
    (cards.ACTIVE, NOW + timedelta(days=1), True, None),
    (cards.ACTIVE, NOW, True, "礼品卡已过期"),
    (cards.ACTIVE, None, False, "该礼品卡不能在本门店使用"),
    (cards.TRANSFERRING, None, True, "礼品卡转赠中，不能使用"),
    (cards.TRANSFERRED, None, True, "礼品卡已转赠，不能使用"),
    (cards.USED_UP, None, True, "礼品卡已用完，不能使用"),
    (cards.VOIDED, None, True, "礼品卡已作废，不能使用"),
    (cards.INACTIVE, None, True, "礼品卡未激活，不能使用"),
    (cards.CLAIMED, None, True, "礼品卡已领取未激活，不能使用"),
])
def test_when_can_a_gift_card_be_spent(state, ends_at, store_ok, reason):
    assert rules.why_not_spendable(state, ends_at, NOW, store_ok) == reason


def test_are_face_values_deduplicated_sorted_and_positive():
    assert rules.check_face_values([10000, 5000, 10000]) == [5000, 10000]
    for bad in ([], [0], [-100]):
        with pytest.raises(DomainError):
            rules.check_face_values(bad)


GIFT_STATES = (cards.INACTIVE, cards.CLAIMED, cards.ACTIVE, cards.TRANSFERRING, cards.TRANSFERRED, cards.USED_UP,
               cards.VOIDED)
ALLOWED = {
    (cards.INACTIVE, cards.CLAIMED), (cards.INACTIVE, cards.ACTIVE), (cards.INACTIVE, cards.VOIDED),
    (cards.CLAIMED, cards.ACTIVE), (cards.CLAIMED, cards.VOIDED),
    (cards.ACTIVE, cards.TRANSFERRING), (cards.ACTIVE, cards.USED_UP), (cards.ACTIVE, cards.VOIDED),
    (cards.TRANSFERRING, cards.ACTIVE), (cards.TRANSFERRING, cards.TRANSFERRED), (cards.TRANSFERRING, cards.VOIDED),
    (cards.USED_UP, cards.ACTIVE),
}


@pytest.mark.parametrize("current,target", [(a, b) for a in GIFT_STATES for b in cards.STATES])
def test_is_each_gift_card_transition_allowed_or_refused(current, target):
    if (current, target) in ALLOWED:
        assert cards.move(cards.GIFT, current, target) == target
    else:
        with pytest.raises(Conflict) as refused:
            cards.move(cards.GIFT, current, target)
        assert "礼品卡当前状态为" in refused.value.message


def test_may_a_voided_or_transferred_gift_card_never_move_again():
    for state in (cards.VOIDED, cards.TRANSFERRED):
        assert not any(cards.can_move(cards.GIFT, state, target) for target in cards.STATES)
