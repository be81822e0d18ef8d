"""Commission arithmetic (domain/commission.py): percentages typed as text kept as basis points, the rule's limits,
and the share of an earning each refund takes back, adding up to the earning and never beyond it."""
import pytest

from domain import commission as rules
from domain.errors import DomainError

RULE = dict(enabled=True, per_new_member=500, topup_bp=150, card_sale_bp=300, guided_spend_bp=100,
            guided_spend_days=30)


@pytest.mark.parametrize("text, bp", [("1.5", 150), ("1.5%", 150), (" 3 ", 300), ("0.01", 1), ("100", 10000),
                                      ("", 0), (None, 0), ("0", 0), ("12.25％", 1225)])
def test_is_a_typed_percentage_kept_as_basis_points(text, bp):
    assert rules.parse_percent(text) == bp


@pytest.mark.parametrize("text", ["abc", "-1", "1.234", "100.01", "1e2", "1,5", "１.５", "9" * 20, "\x00", "nan"])
def test_is_anything_else_refused_with_a_message(text):
    with pytest.raises(DomainError):
        rules.parse_percent(text)


@pytest.mark.parametrize("bp, text", [(150, "1.5"), (1000, "10"), (125, "1.25"), (5, "0.05"), (0, "0")])
def test_is_a_rate_shown_as_the_merchant_typed_it(bp, text):
    assert rules.percent_text(bp) == text and rules.parse_percent(text) == bp


def test_is_a_share_rounded_half_up_and_nothing_for_nothing():
    assert rules.share_of(10001, 300) == 300 and rules.share_of(50, 100) == 1 and rules.share_of(49, 100) == 0
    assert rules.share_of(0, 300) == rules.share_of(-5, 300) == rules.share_of(100, 0) == 0


@pytest.mark.parametrize("change, field", [({"topup_bp": 10001}, "topup_bp"), ({"per_new_member": -1}, "per_new_member"),
                                           ({"guided_spend_days": 0}, "guided_spend_days"),
                                           ({"card_sale_bp": 1.5}, "card_sale_bp"), ({"topup_bp": True}, "topup_bp")])
def test_is_a_rule_out_of_bounds_refused_naming_its_field(change, field):
    with pytest.raises(DomainError) as refused:
        rules.check_rule(**{**RULE, **change})
    assert refused.value.details["field"] == field


def test_does_a_rule_without_a_guided_rate_need_no_days():
    assert rules.check_rule(**{**RULE, "guided_spend_bp": 0, "guided_spend_days": 0}) is True


@pytest.mark.parametrize("earned, base, refunds", [(300, 10001, [3333, 3333, 3335]), (1, 3, [1, 1, 1]),
                                                   (150, 10000, [10000]), (7, 100, [99, 1]), (200, 10000, [1] * 50)])
def test_do_the_reversals_of_successive_refunds_add_up_to_the_share_refunded(earned, base, refunds):
    taken, refunded = 0, 0
    for amount in refunds:
        refunded += amount
        due = rules.reversal_due(earned, taken, refunded, base)
        assert due >= 0
        taken += due
        assert taken <= earned and taken == (earned if refunded >= base else earned * refunded // base)


def test_is_nothing_taken_back_twice_or_beyond_the_earning():
    assert rules.reversal_due(100, 100, 1000, 1000) == 0
    assert rules.reversal_due(100, 0, 5000, 1000) == 100
    assert rules.reversal_due(100, 150, 1000, 1000) == 0
    assert rules.reversal_due(0, 0, 1000, 1000) == rules.reversal_due(100, 0, 0, 1000) == 0
