"""Benefit cards without a database: the state table, the best of several cards, extension and the checks."""
from datetime import UTC, datetime, timedelta
from itertools import product

import pytest

from domain import cards
from domain.benefit_cards import (
    Benefits,
    best_of,
    check_discount,
    check_free_items,
    check_gift_pack,
    check_multiplier,
    check_refund_amount,
    check_valid_days,
    in_force,
    new_end,
)
from domain.errors import Conflict, DomainError

NOW = datetime(2026, 3, 1, 4, 0, tzinfo=UTC)

# Written out by hand so a change to domain/cards.TRANSITIONS for benefit cards has to change this too.
ALLOWED = {
    (cards.ACTIVE, cards.EXPIRED),
    (cards.ACTIVE, cards.VOIDED),
    (cards.ACTIVE, cards.REFUNDED),
}


@pytest.mark.parametrize("current,target", sorted(product(cards.STATES, cards.STATES)))
def test_may_a_benefit_card_move_between_these_two_states(current, target):
    allowed = (current, target) in ALLOWED
    assert cards.can_move(cards.BENEFIT, current, target) is allowed
    if allowed:
        assert cards.move(cards.BENEFIT, current, target) == target
    else:
        with pytest.raises(Conflict) as refused:
            cards.move(cards.BENEFIT, current, target)
        assert "权益卡" in refused.value.message


def test_does_an_active_benefit_card_read_as_in_force():
    assert cards.state_label(cards.BENEFIT, cards.ACTIVE) == "生效中"
    assert cards.state_label(cards.BENEFIT, cards.REFUNDED) == "已退卡"


def test_do_several_cards_give_the_lowest_discount_the_highest_multiplier_and_every_free_item():
    best = best_of([Benefits(90, 150, ("洗车",)), Benefits(85, 120, ("洗车", "打蜡")), Benefits(None, 300, ())])
    assert best == Benefits(85, 300, ("洗车", "打蜡"))


def test_do_no_cards_give_no_benefits_so_the_level_applies():
    assert best_of([]).empty
    assert best_of([]) == Benefits(None, 100, ())


@pytest.mark.parametrize("state,starts,ends,expected", [
    (cards.ACTIVE, None, None, True),
    (cards.ACTIVE, NOW - timedelta(days=1), NOW + timedelta(seconds=1), True),
    (cards.ACTIVE, NOW - timedelta(days=1), NOW, False),  # ends_at is exclusive
    (cards.ACTIVE, NOW + timedelta(days=1), None, False),
    (cards.REFUNDED, None, None, False),
    (cards.VOIDED, None, NOW + timedelta(days=1), False),
    (cards.EXPIRED, None, None, False),
])
def test_is_a_card_in_force_only_while_active_and_within_its_dates(state, starts, ends, expected):
    assert in_force(state, starts, ends, NOW) is expected


def test_does_a_second_purchase_start_from_the_current_end():
    assert new_end(NOW + timedelta(days=5), NOW, 30) == NOW + timedelta(days=35)


def test_does_a_purchase_after_the_end_start_from_now():
    assert new_end(NOW - timedelta(days=5), NOW, 30) == NOW + timedelta(days=30)
    assert new_end(None, NOW, 30) == NOW + timedelta(days=30)


def test_does_a_card_without_validity_days_never_end():
    assert new_end(NOW + timedelta(days=5), NOW, None) is None


@pytest.mark.parametrize("check,good,bad", [
    (check_discount, [None, 1, 90, 99], [0, 100, -5]),
    (check_multiplier, [None, 100, 200, 1000], [99, 1001, 0]),
    (check_valid_days, [None, 1, 3650], [0, 3651, -1]),
])
def test_are_numbers_outside_their_range_refused(check, good, bad):
    for value in good:
        assert check(value) == value
    for value in bad:
        with pytest.raises(DomainError):
            check(value)


def test_are_free_items_trimmed_and_limited_in_number_and_length():
    assert check_free_items([" 洗车 ", "", "打蜡"]) == ["洗车", "打蜡"]
    with pytest.raises(DomainError, match="最多 10 项"):
        check_free_items([f"项目{i}" for i in range(11)])
    with pytest.raises(DomainError, match="40 个字"):
        check_free_items(["长" * 41])


def test_is_a_gift_pack_with_a_bad_count_or_a_repeated_coupon_refused():
    assert check_gift_pack([{"template_id": "3", "count": 2}]) == [{"template_id": 3, "count": 2}]
    for bad in ([{"template_id": 1, "count": 0}], [{"template_id": 1, "count": 11}],
                [{"template_id": 1, "count": 1}, {"template_id": 1, "count": 2}], [{"count": 1}],
                [{"template_id": i, "count": 1} for i in range(11)]):
        with pytest.raises(DomainError):
            check_gift_pack(bad)


@pytest.mark.parametrize("with_money,amount,paid,expected", [
    (False, 0, 9900, 0), (False, None, None, 0), (True, 0, 9900, 0), (True, 5000, 9900, 5000), (True, 9900, 9900, 9900),
])
def test_which_refund_amounts_are_recorded(with_money, amount, paid, expected):
    assert check_refund_amount(with_money, amount, paid) == expected


@pytest.mark.parametrize("with_money,amount,paid", [
    (False, 100, 9900), (True, 9901, 9900), (True, -1, 9900), (True, None, 9900), (True, 0, None),
])
def test_are_impossible_refund_amounts_refused(with_money, amount, paid):
    with pytest.raises(DomainError):
        check_refund_amount(with_money, amount, paid)
