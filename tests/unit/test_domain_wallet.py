"""Stored value: how a spend divides between principal and bonus, and how refunds reverse it."""
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from domain.errors import Conflict, DomainError, InsufficientBalance
from domain.wallet import Split, split_refund, split_spend

property_test = settings(database=None, deadline=None, max_examples=300)

BIG = 10**12


# --- split_spend -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    "amount, principal, bonus, expected",
    [
        (100, 800, 200, Split(80, 20)),
        (10, 300, 700, Split(3, 7)),
        (1000, 800, 200, Split(800, 200)),  # spend everything: exactly what is held
        (1, 1, 1, Split(1, 0)),  # 0.5 from principal rounds up
        (3, 3, 3, Split(2, 1)),  # 1.5 -> 2
        (5, 1, 9, Split(1, 4)),  # 0.5 -> 1
        (1, 1, 2, Split(0, 1)),  # 0.33 -> 0
        (1, 2, 1, Split(1, 0)),  # 0.67 -> 1
        (5, 0, 10, Split(0, 5)),  # no principal
        (5, 10, 0, Split(5, 0)),  # no bonus
        (7, 7, 0, Split(7, 0)),
    ],
)
def test_how_does_a_spend_divide_between_principal_and_bonus(amount, principal, bonus, expected):
    assert split_spend(amount, principal, bonus) == expected


def test_is_a_split_total_the_sum_of_its_sides():
    assert Split(80, 20).total == 100


@pytest.mark.parametrize("amount, principal, bonus", [(1001, 800, 200), (1, 0, 0), (3, 1, 1)])
def test_is_a_spend_beyond_the_balance_refused_with_balance_and_need(amount, principal, bonus):
    with pytest.raises(InsufficientBalance) as info:
        split_spend(amount, principal, bonus)
    error = info.value
    assert error.details == {"balance": principal + bonus, "needed": amount}
    assert isinstance(error, Conflict) and error.code == "insufficient_balance" and error.http_status == 409


def test_does_the_insufficient_balance_message_show_both_amounts_in_yuan():
    with pytest.raises(InsufficientBalance) as info:
        split_spend(1001, 800, 200)
    assert "¥10.00" in info.value.message and "¥10.01" in info.value.message


@pytest.mark.parametrize("amount", [0, -1])
def test_is_a_zero_or_negative_spend_refused_as_invalid(amount):
    with pytest.raises(DomainError) as info:
        split_spend(amount, 100, 100)
    assert not isinstance(info.value, InsufficientBalance)


wallets = st.tuples(st.integers(0, BIG), st.integers(0, BIG)).filter(lambda pb: pb[0] + pb[1] > 0)


@property_test
@given(wallets, st.data())
def test_does_a_spend_never_take_more_from_a_side_than_it_holds_and_sum_to_the_amount(wallet, data):
    principal, bonus = wallet
    amount = data.draw(st.integers(1, principal + bonus))
    split = split_spend(amount, principal, bonus)
    assert 0 <= split.principal <= principal
    assert 0 <= split.bonus <= bonus
    assert split.total == amount


@property_test
@given(wallets, st.data())
def test_is_the_principal_share_the_exact_proportion_rounded_half_up(wallet, data):
    principal, bonus = wallet
    total = principal + bonus
    amount = data.draw(st.integers(1, total))
    # floor(amount * principal / total + 1/2), in unbounded integers.
    assert split_spend(amount, principal, bonus).principal == (2 * amount * principal + total) // (2 * total)


@property_test
@given(wallets, st.integers(1, 10**4))
def test_is_every_spend_beyond_the_balance_refused(wallet, excess):
    principal, bonus = wallet
    with pytest.raises(InsufficientBalance):
        split_spend(principal + bonus + excess, principal, bonus)


# --- split_refund ----------------------------------------------------------------------------

NOTHING = Split(0, 0)


@pytest.mark.parametrize(
    "amount, original, already, expected",
    [
        (100, Split(80, 20), NOTHING, Split(80, 20)),  # full refund
        (50, Split(80, 20), NOTHING, Split(40, 10)),
        (50, Split(80, 20), Split(40, 10), Split(40, 10)),  # the rest
        (10, Split(80, 20), Split(40, 10), Split(8, 2)),
        (1, Split(1, 1), NOTHING, Split(1, 0)),  # 0.5 -> principal
        (1, Split(1, 1), Split(1, 0), Split(0, 1)),  # the rest
        (3, Split(0, 10), NOTHING, Split(0, 3)),
        (3, Split(10, 0), NOTHING, Split(3, 0)),
    ],
)
def test_how_is_a_refund_divided_between_principal_and_bonus(amount, original, already, expected):
    assert split_refund(amount, original, already) == expected


def test_does_a_full_refund_return_exactly_what_remains_even_when_rounding_would_say_otherwise():
    # Proportion would give 2 principal / 1 bonus; what is left is 1 / 2, and that is what comes back.
    assert split_refund(3, Split(3, 3), Split(2, 1)) == Split(1, 2)


def test_is_a_side_that_has_been_fully_refunded_clamped_so_the_rest_comes_from_the_other():
    # One-fen refunds of a 3/3 spend: half up sends each to principal until principal is exhausted.
    original, refunded, parts = Split(3, 3), NOTHING, []
    for _ in range(6):
        part = split_refund(1, original, refunded)
        parts.append(part)
        refunded = Split(refunded.principal + part.principal, refunded.bonus + part.bonus)
    assert parts == [Split(1, 0)] * 3 + [Split(0, 1)] * 3
    assert refunded == original


@pytest.mark.parametrize(
    "amount, original, already, refundable",
    [(101, Split(80, 20), NOTHING, 100), (51, Split(80, 20), Split(40, 10), 50), (1, Split(80, 20), Split(80, 20), 0)],
)
def test_is_a_refund_beyond_what_is_left_refused_with_the_refundable_amount(amount, original, already, refundable):
    with pytest.raises(DomainError) as info:
        split_refund(amount, original, already)
    assert info.value.details == {"refundable": refundable}


@pytest.mark.parametrize("amount", [0, -5])
def test_is_a_zero_or_negative_refund_refused(amount):
    with pytest.raises(DomainError):
        split_refund(amount, Split(80, 20), NOTHING)


@property_test
@given(wallets, st.data())
def test_does_refunding_a_whole_spend_give_back_exactly_what_it_took(wallet, data):
    principal, bonus = wallet
    amount = data.draw(st.integers(1, principal + bonus))
    spent = split_spend(amount, principal, bonus)
    assert split_refund(amount, spent, NOTHING) == spent


@st.composite
def refund_sequences(draw):
    """An original split and refund amounts that add up to all of it."""
    original = Split(draw(st.integers(0, 10**6)), draw(st.integers(0, 10**6)))
    assume(original.total > 0)
    amounts, left = [], original.total
    while left > 0 and len(amounts) < 12:
        amount = draw(st.one_of(st.integers(1, min(left, 5)), st.integers(1, left)))
        amounts.append(amount)
        left -= amount
    if left:
        amounts.append(left)
    return original, amounts


@property_test
@given(refund_sequences())
def test_do_partial_refunds_stay_within_each_side_and_sum_back_to_the_original(case):
    original, amounts = case
    refunded = NOTHING
    for amount in amounts:
        part = split_refund(amount, original, refunded)
        assert part.total == amount
        assert part.principal >= 0 and part.bonus >= 0
        refunded = Split(refunded.principal + part.principal, refunded.bonus + part.bonus)
        assert refunded.principal <= original.principal
        assert refunded.bonus <= original.bonus
    assert refunded == original
    with pytest.raises(DomainError):
        split_refund(1, original, refunded)


@property_test
@given(refund_sequences())
def test_does_a_partial_refund_follow_the_original_proportion_while_both_sides_have_room(case):
    original, amounts = case
    amount = amounts[0]
    assume(amount < original.total)
    part = split_refund(amount, original, NOTHING)
    assert part.principal == (2 * amount * original.principal + original.total) // (2 * original.total)
