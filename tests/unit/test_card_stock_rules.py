"""Physical member card rules (domain/card_stock.py): the moves between states, batch limits, how numbers look
and how a typed, scanned or swiped number is cleaned."""
import pytest

from domain import card_stock as rules
from domain.errors import DomainError


@pytest.mark.parametrize("state, to, allowed", [
    ("made", "issued", True), ("made", "active", True), ("made", "lost", False), ("made", "returned", False),
    ("issued", "active", True), ("issued", "returned", True), ("issued", "made", False),
    ("active", "lost", True), ("active", "returned", True), ("active", "issued", False),
    ("lost", "returned", True), ("lost", "active", False), ("returned", "active", False),
])
def test_are_only_the_listed_moves_allowed(state, to, allowed):
    assert rules.can_move(state, to) is allowed


def test_does_a_refusal_name_both_states():
    assert rules.refusal("made", "returned") == "该卡当前为「已制卡」，不能变为「已退卡」"


def test_is_a_batch_cleaned_and_bounded():
    assert rules.check_batch("  首批 ", 10, " vip ") == ("首批", 10, "VIP")
    for name, quantity, prefix in (("", 1, ""), ("a" * 41, 1, ""), ("x", 0, ""), ("x", 50_001, ""), ("x", 1.5, ""),
                                   ("x", 1, "A-1"), ("x", 1, "ABCDEFGHI"), ("x", 1, "卡")):
        with pytest.raises(DomainError):
            rules.check_batch(name, quantity, prefix)


def test_do_new_numbers_have_their_shape_and_check_digits():
    for _ in range(200):
        number = rules.new_card_no("VIP")
        assert number.startswith("VIP") and len(number) == 15 and rules.card_no_valid(number, "VIP")
        barcode = rules.new_barcode()
        assert len(barcode) == 13 and barcode[0] == "2" and rules.ean13_digit(barcode[:12]) == barcode[-1]
        assert len(rules.new_track_no()) == rules.TRACK_DIGITS and len(rules.new_pin()) == rules.PIN_LENGTH
    number = rules.new_card_no()
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    assert len(number) == 12 and not rules.card_no_valid(wrong)  # one mistyped digit is caught


def test_is_the_ean13_check_digit_right_for_a_known_code():
    assert rules.ean13_digit("400638133393") == "1"  # 4006381333931


def test_is_a_typed_scanned_or_swiped_number_cleaned():
    assert rules.clean_number(" vip 1234-5678 ") == "VIP12345678"
    assert rules.clean_number(";123456789012345678?") == "123456789012345678"
    for bad in ("", "   ", "12\x0034", "卡号", "1" * 41, "12.34"):
        with pytest.raises(DomainError):
            rules.clean_number(bad)


def test_is_a_pin_compared_whole():
    assert rules.pin_matches("123456", " 123456 ") and not rules.pin_matches("123456", "12345")
    assert not rules.pin_matches(None, "123456") and not rules.pin_matches("123456", None)


def test_is_a_card_number_shown_in_fours_after_its_prefix():
    assert rules.format_card_no("VIP123456789012") == "VIP 1234 5678 9012"
    assert rules.format_card_no("123456789012") == "1234 5678 9012"
    assert rules.format_card_no("") == ""
