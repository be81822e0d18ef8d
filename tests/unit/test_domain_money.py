"""Money rules: amounts are integer fen, parsed and formatted without float."""
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import DomainError
from domain.money import MAX_FEN, format_yuan, mul_ratio_half_up, parse_yuan

property_test = settings(database=None, deadline=None, max_examples=300)


# --- parse_yuan ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, fen",
    [
        ("12", 1200),
        ("12.3", 1230),
        ("12.30", 1230),
        ("¥1,234.5", 123450),
        ("￥1,234.56", 123456),
        ("0", 0),
        ("0.00", 0),
        ("0.01", 1),
        ("  12.5  ", 1250),
        ("1,000,000", 100000000),
        ("10000000000", MAX_FEN),
    ],
)
def test_which_yuan_spellings_are_accepted_and_what_they_are_worth_in_fen(text, fen):
    assert parse_yuan(text) == fen


@pytest.mark.parametrize(
    "text",
    [
        "-1",
        "-0",
        ".5",
        "12.",
        "1,2,3",
        "1_000",
        "１２",
        "-0.01",
        "¥-5",
        "1.234",
        "12.300",  # still 12.30, but written with three decimals: rejected like any third decimal
        "0.001",
        "abc",
        "12abc",
        "1.2.3",
        "1 000",
        "nan",
        "NaN",
        "sNaN",
        "inf",
        "-inf",
        "Infinity",
        "",
        "   ",
        "¥",
        None,
    ],
)
def test_which_yuan_spellings_are_rejected_with_a_domain_error(text):
    with pytest.raises(DomainError):
        parse_yuan(text)


def test_is_an_amount_above_the_ceiling_rejected():
    with pytest.raises(DomainError) as info:
        parse_yuan("10000000000.01")
    assert info.value.details == {"value": "10000000000.01"}


def test_does_a_rejected_amount_report_the_text_the_person_typed():
    with pytest.raises(DomainError) as info:
        parse_yuan(" 1.234 ")
    assert info.value.details["value"] == " 1.234 "
    assert info.value.http_status == 400


@pytest.mark.parametrize("text", ["1e3", "1E+3", "1e-2", "0.5e1", "1e999999", "9e999998", "1e99999999", "nan", "inf"])
def test_is_scientific_notation_or_a_special_value_refused_as_an_amount(text):
    with pytest.raises(DomainError):
        parse_yuan(text)


@property_test
@given(st.from_regex(r"\A[0-9]{1,10}(\.[0-9]{1,2})?\Z"))
def test_is_every_plain_decimal_with_at_most_two_places_worth_exactly_a_hundred_times_its_value(text):
    assert parse_yuan(text) == int(Decimal(text) * 100)


@property_test
@given(st.text(alphabet="0123456789.,-+¥￥ _anifINF", max_size=20))
def test_does_parse_yuan_only_ever_return_a_bounded_fen_count_or_raise_a_domain_error(text):
    # No 'e' in the alphabet: exponents are covered (and a crash is flagged) above.
    try:
        fen = parse_yuan(text)
    except DomainError:
        return
    assert isinstance(fen, int)
    assert 0 <= fen <= MAX_FEN


# --- format_yuan -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    "fen, text",
    [
        (0, "0.00"),
        (1, "0.01"),
        (10, "0.10"),
        (100, "1.00"),
        (1230, "12.30"),
        (123450, "1234.50"),
        (MAX_FEN, "10000000000.00"),
        (-5, "-0.05"),
        (-1230, "-12.30"),
    ],
)
def test_how_is_a_fen_amount_written_as_yuan(fen, text):
    assert format_yuan(fen) == text


@property_test
@given(st.integers(min_value=0, max_value=MAX_FEN))
def test_does_formatting_then_parsing_give_back_the_same_fen(fen):
    assert parse_yuan(format_yuan(fen)) == fen


@property_test
@given(st.integers(min_value=-MAX_FEN, max_value=MAX_FEN))
def test_does_the_formatted_text_always_have_exactly_two_decimals_and_the_right_value(fen):
    text = format_yuan(fen)
    assert text.split(".")[1].isdigit() and len(text.split(".")[1]) == 2
    assert Decimal(text) * 100 == fen


# --- mul_ratio_half_up -----------------------------------------------------------------------

@pytest.mark.parametrize(
    "amount, numerator, denominator, expected",
    [
        (1, 1, 2, 1),  # 0.5 -> 1
        (3, 1, 2, 2),  # 1.5 -> 2
        (5, 1, 2, 3),  # 2.5 -> 3 (half up, not banker's 2)
        (7, 1, 2, 4),  # 3.5 -> 4
        (1, 1, 3, 0),  # 0.33 -> 0
        (2, 1, 3, 1),  # 0.67 -> 1
        (10, 3, 4, 8),  # 7.5 -> 8
        (100, 80, 100, 80),
        (0, 5, 7, 0),
        (7, 0, 3, 0),
        (10**12, 10**12, 10**12, 10**12),
    ],
)
def test_does_a_ratio_round_halves_up(amount, numerator, denominator, expected):
    assert mul_ratio_half_up(amount, numerator, denominator) == expected


@pytest.mark.parametrize("denominator", [0, -1, -100])
def test_is_a_zero_or_negative_denominator_refused(denominator):
    with pytest.raises(ValueError):
        mul_ratio_half_up(10, 1, denominator)


@property_test
@given(
    st.integers(min_value=0, max_value=MAX_FEN),
    st.integers(min_value=0, max_value=MAX_FEN),
    st.integers(min_value=1, max_value=MAX_FEN),
)
def test_does_the_ratio_match_exact_integer_half_up_arithmetic(amount, numerator, denominator):
    # floor(a*n/d + 1/2) computed with Python's unbounded integers.
    assert mul_ratio_half_up(amount, numerator, denominator) == (2 * amount * numerator + denominator) // (
        2 * denominator
    )
