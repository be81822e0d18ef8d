"""Member levels: which level the figures earn, upgrades only, and the gap to the next one."""
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.levels import (
    LevelRule, MemberProgress, base_level, earned_level, next_level_gaps, qualifies, upgrade_target,
)

property_test = settings(database=None, deadline=None, max_examples=300)

BRONZE = LevelRule(id=1, rank=0)
SILVER = LevelRule(id=2, rank=10, min_spend=100_000, min_visits=10)
GOLD = LevelRule(id=3, rank=20, min_spend=500_000, min_topup=300_000)
RULES = [GOLD, BRONZE, SILVER]  # deliberately out of rank order


def progress(spend=0, visits=0, topup=0):
    return MemberProgress(total_spend=spend, visit_count=visits, total_topup=topup)


@pytest.mark.parametrize(
    "figures, level",
    [
        (progress(), BRONZE),
        (progress(spend=99_999, visits=9), BRONZE),
        (progress(spend=100_000), SILVER),  # spend alone, exactly at the threshold
        (progress(visits=10), SILVER),  # visits alone
        (progress(spend=100_000, visits=10), SILVER),
        (progress(spend=499_999, topup=299_999), SILVER),
        (progress(spend=500_000), GOLD),  # spend alone
        (progress(topup=300_000), GOLD),  # top-up alone, skipping silver
        (progress(visits=10_000), SILVER),  # gold has no visits threshold: visits never earn it
    ],
)
def test_which_level_do_these_figures_earn(figures, level):
    assert earned_level(RULES, figures) == level


def test_does_reaching_any_single_threshold_suffice():
    assert qualifies(SILVER, progress(visits=10))
    assert qualifies(SILVER, progress(spend=100_000))
    assert not qualifies(SILVER, progress(spend=99_999, visits=9, topup=10**9))  # topup is not a silver rule


def test_does_the_base_level_qualify_with_nothing_even_if_it_names_thresholds():
    strict_base = LevelRule(id=9, rank=0, min_spend=10**9)
    assert qualifies(strict_base, progress(), is_base=True)
    assert not qualifies(strict_base, progress(), is_base=False)
    assert earned_level([strict_base, SILVER], progress()) == strict_base


def test_does_a_non_base_level_with_no_thresholds_never_qualify_automatically():
    manual_only = LevelRule(id=7, rank=30)
    assert not qualifies(manual_only, progress(spend=10**12, visits=10**6, topup=10**12))
    assert earned_level(RULES + [manual_only], progress(spend=10**12)) == GOLD


def test_is_the_base_level_the_lowest_rank_whatever_the_input_order():
    assert base_level(RULES) == BRONZE
    shuffled = RULES[:]
    random.Random(4).shuffle(shuffled)
    assert base_level(shuffled) == BRONZE


def test_with_no_levels_configured_is_nothing_earned_or_offered():
    assert base_level([]) is None
    assert earned_level([], progress(spend=10**9)) is None
    assert upgrade_target(None, [], progress(spend=10**9)) is None
    assert next_level_gaps(None, [], progress()) == (None, {})


@pytest.mark.parametrize(
    "current_rank, figures, target",
    [
        (None, progress(), BRONZE),  # a member with no level gets the base level
        (None, progress(spend=500_000), GOLD),
        (0, progress(), None),
        (0, progress(visits=10), SILVER),
        (0, progress(topup=300_000), GOLD),
        (10, progress(visits=10), None),  # already there
        (10, progress(spend=500_000), GOLD),
        (20, progress(), None),  # earned only bronze: no downgrade
        (20, progress(visits=50), None),
        (15, progress(visits=10), None),  # manually set between silver and gold: silver is not an upgrade
        (99, progress(spend=10**12), None),  # manually set above every rule
    ],
)
def test_does_the_member_move_up_and_to_which_level(current_rank, figures, target):
    assert upgrade_target(current_rank, RULES, figures) == target


@property_test
@given(
    st.one_of(st.none(), st.sampled_from([0, 5, 10, 15, 20, 25])),
    st.integers(0, 10**6), st.integers(0, 100), st.integers(0, 10**6),
)
def test_does_upgrade_target_never_move_a_member_down_or_sideways(current_rank, spend, visits, topup):
    target = upgrade_target(current_rank, RULES, progress(spend, visits, topup))
    assert target is None or current_rank is None or target.rank > current_rank
    if target is not None:
        assert target == earned_level(RULES, progress(spend, visits, topup))


@property_test
@given(st.integers(0, 10**6), st.integers(0, 100), st.integers(0, 10**6), st.integers(0, 10**5))
def test_does_more_of_any_figure_never_earn_a_lower_level(spend, visits, topup, extra):
    before = earned_level(RULES, progress(spend, visits, topup)).rank
    for more in (progress(spend + extra, visits, topup), progress(spend, visits + extra, topup),
                 progress(spend, visits, topup + extra)):
        assert earned_level(RULES, more).rank >= before


@pytest.mark.parametrize(
    "current_rank, figures, target, gaps",
    [
        (0, progress(spend=30_000, visits=4), SILVER, {"spend": 70_000, "visits": 6}),
        (0, progress(spend=150_000, visits=4), SILVER, {"spend": 0, "visits": 6}),  # reached shows 0
        (10, progress(spend=150_000, topup=50_000, visits=999), GOLD, {"spend": 350_000, "topup": 250_000}),
        (15, progress(), GOLD, {"spend": 500_000, "topup": 300_000}),
        (20, progress(), None, {}),  # at the top
        (None, progress(), BRONZE, {}),  # no level yet: next is the base, which asks nothing
    ],
)
def test_how_far_is_the_next_level_and_in_which_figures(current_rank, figures, target, gaps):
    assert next_level_gaps(current_rank, RULES, figures) == (target, gaps)


@property_test
@given(st.sampled_from([0, 10]), st.integers(0, 10**6), st.integers(0, 100), st.integers(0, 10**6))
def test_are_the_gaps_never_negative_and_only_for_thresholds_that_exist(current_rank, spend, visits, topup):
    target, gaps = next_level_gaps(current_rank, RULES, progress(spend, visits, topup))
    assert set(gaps) == {k for k, v in target.thresholds().items() if v is not None}
    assert all(gap >= 0 for gap in gaps.values())
    # A zero gap in any figure means the member already qualifies for that level.
    assert (0 in gaps.values()) == qualifies(target, progress(spend, visits, topup))
