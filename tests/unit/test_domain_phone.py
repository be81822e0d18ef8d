"""Mainland mobile numbers: one canonical 11-digit key per member."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import DomainError
from domain.phone import mask_mobile, normalise_mobile

property_test = settings(database=None, deadline=None, max_examples=300)


@pytest.mark.parametrize(
    "text",
    [
        "13800138000",
        "+86 138-0013-8000",
        "+8613800138000",
        "+86-138-0013-8000",
        "8613800138000",
        "86 138 0013 8000",
        "008613800138000",
        "0086 138 0013 8000",
        "  138 0013 8000  ",
        "138\t0013\n8000",
        "(138)00138000",
        "（138）0013-8000",
        "+86 (138) 0013 8000",
        "138\u300000138000",  # ideographic space
    ],
)
def test_which_spellings_of_one_mobile_normalise_to_the_same_eleven_digits(text):
    assert normalise_mobile(text) == "13800138000"


@pytest.mark.parametrize("text", ["13000000000", "14700000000", "15912345678", "16600000000", "17700000000",
                                  "18812345678", "19912345678"])
def test_is_every_second_digit_from_three_to_nine_a_valid_mobile(text):
    assert normalise_mobile(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "138001380001",  # 12 digits
        "1380013800",  # 10 digits
        "12800138000",  # starts with 12
        "10800138000",
        "11800138000",
        "23800138000",  # does not start with 1
        "1380013800a",
        "abcdefghijk",
        "138-0013-800O",  # letter O for zero
        "+8612800138000",
        "861380013800",  # 86 + 10 digits: not stripped, then not a mobile
        "08613800138000",  # 086 is not a country prefix
        "+113800138000",
        "+86 138 0013 80000",
        "138.0013.8000",  # dots are not separators
        "",
        "   ",
        None,
    ],
)
def test_which_inputs_are_not_a_mainland_mobile(text):
    with pytest.raises(DomainError) as info:
        normalise_mobile(text)
    assert info.value.details == {"value": text}


@property_test
@given(
    st.from_regex(r"\A1[3-9][0-9]{9}\Z"),
    st.sampled_from(["", "+86", "86", "0086", "+86 ", "0086-"]),
    st.sampled_from([" ", "-", ""]),
)
def test_does_any_decorated_form_of_a_valid_mobile_normalise_back_to_it(mobile, prefix, sep):
    decorated = f"{prefix}{mobile[:3]}{sep}{mobile[3:7]}{sep}{mobile[7:]}"
    assert normalise_mobile(decorated) == mobile


@property_test
@given(st.text(max_size=20))
def test_is_a_normalised_mobile_always_eleven_digits_starting_with_one(text):
    try:
        mobile = normalise_mobile(text)
    except DomainError:
        return
    assert len(mobile) == 11 and mobile[0] == "1" and mobile[1] in "3456789"


@pytest.mark.parametrize("text", ["13８００１３８０００", "13٨٠٠١٣٨٠٠٠"])
def test_are_non_ascii_digits_either_rejected_or_folded_to_ascii(text):
    try:
        mobile = normalise_mobile(text)
    except DomainError:
        return
    assert mobile.isascii() and mobile == "13800138000"


@pytest.mark.parametrize(
    "mobile, masked",
    [
        ("13800138000", "138****8000"),
        ("19912345678", "199****5678"),
        ("12345", "12345"),  # not 11 long: left alone
        ("", ""),
        (None, None),
    ],
)
def test_how_is_a_mobile_masked_for_display(mobile, masked):
    assert mask_mobile(mobile) == masked
