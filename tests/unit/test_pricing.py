"""The till's pricing engine: each step, their order, sharing rules, thresholds, caps, rounding, refusals."""
import time

import pytest

from domain.errors import DomainError
from domain.pricing import (Choice, CouponOffer, Line, PricingError, PricingInput, SharingRules, best, choices,
                            max_points, price, random_reduction)

ALL_SHARED = SharingRules(level_with_coupons=True, level_with_points=True, coupons_with_points=True)


def cash(code_id, off, min_spend=0, categories=(), title=None):
    return CouponOffer(code_id, "cash", title or f"满{min_spend // 100}减{off // 100}", amount_off=off,
                       min_spend=min_spend, categories=categories)


def disc(code_id, percent, cap=None, min_spend=0, categories=()):
    return CouponOffer(code_id, "discount", f"{percent}折券", discount_percent=percent, discount_cap=cap,
                       min_spend=min_spend, categories=categories)


def steps_of(quote):
    return [(s.kind, s.amount) for s in quote.steps]


# --- the seed's example -----------------------------------------------------------------------------------

def test_does_an_8_zhe_coupon_with_a_100_yuan_threshold_make_a_100_yuan_order_cost_80():
    quote = price(PricingInput(amount=10000, coupons=(disc(1, 80, min_spend=10000),)), Choice(coupon_ids=(1,)))
    assert quote.pay == 8000
    assert steps_of(quote) == [("coupon", 2000)]
    assert quote.coupon_ids == (1,)


def test_is_a_100_yuan_threshold_missed_once_a_level_discount_brought_the_order_to_95():
    inp = PricingInput(amount=10000, level_name="金卡", level_discount_percent=95,
                       coupons=(disc(1, 80, min_spend=10000),), sharing=ALL_SHARED)
    with pytest.raises(PricingError, match="需消费满 ¥100.00"):
        price(inp, Choice(use_level=True, coupon_ids=(1,)))
    chosen = best(inp)
    assert (chosen.pay, chosen.choice.use_level, chosen.coupon_ids) == (8000, False, (1,))


# --- every step on its own --------------------------------------------------------------------------------

@pytest.mark.parametrize("fields, choice, expected_steps, pay", [
    (dict(level_name="金卡", level_discount_percent=95), Choice(), [("level", 500)], 9500),
    (dict(benefit_name="黑卡", benefit_discount_percent=90), Choice(), [("benefit", 1000)], 9000),
    (dict(balance_discount_percent=80), Choice(), [("balance", 2000)], 8000),
    (dict(points_available=500, points_per_yuan=100, points_max_percent=50), Choice(points=200),
     [("points", 200)], 9800),
    (dict(coupons=(cash(1, 2000, min_spend=10000),)), Choice(coupon_ids=(1,)), [("coupon", 2000)], 8000),
    (dict(coupons=(disc(1, 85, cap=1000),)), Choice(coupon_ids=(1,)), [("coupon", 1000)], 9000),
    (dict(coupons=(disc(1, 85),)), Choice(coupon_ids=(1,)), [("coupon", 1500)], 8500),
    (dict(random_min=100, random_max=100), Choice(), [("random", 100)], 9900),
    (dict(), Choice(), [], 10000),
])
def test_what_does_each_step_take_off_a_100_yuan_order(fields, choice, expected_steps, pay):
    quote = price(PricingInput(amount=10000, **fields), choice)
    assert steps_of(quote) == expected_steps
    assert quote.pay == pay


def test_do_the_steps_run_level_benefit_balance_points_coupon_random():
    inp = PricingInput(amount=10000, level_name="金卡", level_discount_percent=90, benefit_discount_percent=90,
                       balance_discount_percent=90, points_available=10000, points_per_yuan=100,
                       points_max_percent=10, coupons=(cash(1, 1000, min_spend=5000),), sharing=ALL_SHARED,
                       random_min=100, random_max=100)
    quote = price(inp, Choice(use_level=True, coupon_ids=(1,), points=700))
    # 10000 -> 9000 -> 8100 -> 7290 -> points (cap 729 fen) 700 -> 6590 -> coupon 1000 -> 5590 -> random 100
    assert steps_of(quote) == [("level", 1000), ("benefit", 900), ("balance", 810), ("points", 700),
                               ("coupon", 1000), ("random", 100)]
    assert quote.pay == 5490
    assert sum(s.amount for s in quote.steps) + quote.pay == quote.amount


def test_does_each_step_say_what_and_why_in_chinese():
    inp = PricingInput(amount=10000, level_name="金卡", level_discount_percent=95, points_available=200,
                       points_per_yuan=100, points_max_percent=50, sharing=ALL_SHARED)
    level, points = price(inp, Choice(points=200)).steps
    assert level.label == "金卡 9.5折"
    assert level.detail == "¥100.00 × 95% = ¥95.00，优惠 ¥5.00"
    assert points.label == "积分抵扣 200 分"
    assert points.detail == "200 分 ÷ 100 分/元 = ¥2.00"


# --- rounding ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("amount, percent, pay", [
    (999, 95, 949),   # 949.05 -> 949: rounded down to the fen, the member's favour
    (101, 99, 99),    # 99.99 -> 99
    (1, 95, 0),       # 0.95 -> 0: never more than 1 fen per step
    (10000, 100, 10000),
])
def test_is_a_percentage_step_rounded_down_to_the_fen(amount, percent, pay):
    assert price(PricingInput(amount=amount, level_discount_percent=percent), Choice()).pay == pay


def test_does_a_category_coupon_work_on_its_lines_share_rounded_down():
    inp = PricingInput(amount=1000, lines=(Line(333, "food"), Line(667, "drink")), level_discount_percent=95,
                       coupons=(disc(1, 50, categories=("food",)),), sharing=ALL_SHARED)
    quote = price(inp, Choice(coupon_ids=(1,)))
    # after the level: 950; the food share 950 * 333 / 1000 = 316.35 -> 316; half of it off: 316 - 158 = 158
    assert steps_of(quote) == [("level", 50), ("coupon", 158)]


def test_is_a_category_coupon_refused_when_no_line_matches():
    inp = PricingInput(amount=1000, lines=(Line(1000, "drink"),), coupons=(cash(1, 100, categories=("food",)),))
    with pytest.raises(PricingError, match="不适用"):
        price(inp, Choice(coupon_ids=(1,)))
    assert all(not c.coupon_ids for c in choices(inp))


def test_is_a_category_threshold_compared_with_the_share_of_those_lines():
    inp = PricingInput(amount=10000, lines=(Line(6000, "food"), Line(4000, "drink")),
                       coupons=(cash(1, 500, min_spend=5000, categories=("food",)),
                                cash(2, 500, min_spend=5000, categories=("drink",))))
    assert price(inp, Choice(coupon_ids=(1,))).pay == 9500
    with pytest.raises(PricingError):
        price(inp, Choice(coupon_ids=(2,)))


# --- sharing rules ----------------------------------------------------------------------------------------

BOTH = PricingInput(amount=10000, level_discount_percent=95, points_available=1000, points_per_yuan=100,
                    points_max_percent=50, coupons=(cash(1, 1000),))


@pytest.mark.parametrize("flag, choice, message", [
    ("level_with_coupons", Choice(use_level=True, coupon_ids=(1,)), "会员等级折扣与优惠券"),
    ("level_with_points", Choice(use_level=True, points=100), "会员等级折扣与积分抵扣"),
    ("coupons_with_points", Choice(use_level=False, coupon_ids=(1,), points=100), "优惠券与积分抵扣"),
])
def test_are_discounts_combined_only_when_the_merchant_allows_it(flag, choice, message):
    with pytest.raises(PricingError, match=message):
        price(BOTH, choice)
    allowed = PricingInput(**{**BOTH.__dict__, "sharing": SharingRules(**{flag: True})})
    assert price(allowed, choice).pay < 10000


def test_does_the_default_give_the_best_single_discount_and_let_the_cashier_pick_another():
    inp = PricingInput(amount=10000, level_discount_percent=95, points_available=2000, points_per_yuan=100,
                       points_max_percent=20, coupons=(cash(1, 1000, min_spend=10000),))
    chosen = best(inp)
    assert (chosen.pay, chosen.points_used, chosen.coupon_ids, chosen.choice.use_level) == (8000, 2000, (), False)
    assert {pay for _, pay in chosen.alternatives} == {10000, 9500, 9000, 8000}
    assert price(inp, Choice(use_level=False, coupon_ids=(1,))).pay == 9000


def test_does_no_considered_choice_combine_discounts_by_default():
    for choice in choices(BOTH):
        used = [choice.use_level, bool(choice.coupon_ids), choice.points > 0]
        assert sum(used) <= 1, choice


def test_does_the_best_combine_everything_when_all_is_shared():
    inp = PricingInput(**{**BOTH.__dict__, "sharing": ALL_SHARED})
    chosen = best(inp)
    # 10000 -> level 9500 -> points (cap 4750 fen, 1000 points held) 1000 -> 8500 -> coupon 1000 -> 7500
    assert (chosen.pay, chosen.choice) == (7500, Choice(use_level=True, coupon_ids=(1,), points=1000))


def test_is_a_second_coupon_refused_unless_the_merchant_allows_several():
    inp = PricingInput(amount=10000, coupons=(cash(1, 1000), disc(2, 90)))
    with pytest.raises(PricingError, match="只能使用一张"):
        price(inp, Choice(coupon_ids=(1, 2)))
    several = PricingInput(**{**inp.__dict__, "sharing": SharingRules(multiple_coupons=True)})
    quote = price(several, Choice(coupon_ids=(1, 2)))
    # the discount coupon applies first whatever the order ticked: 10000 * 90% = 9000, then -1000
    assert (quote.pay, quote.coupon_ids) == (8000, (2, 1))
    assert best(several).pay == 8000


def test_are_all_thresholds_of_several_coupons_checked_before_any_applies():
    inp = PricingInput(amount=10000, coupons=(cash(1, 3000, min_spend=10000), cash(2, 1000, min_spend=10000)),
                       sharing=SharingRules(multiple_coupons=True))
    assert price(inp, Choice(coupon_ids=(1, 2))).pay == 6000


# --- thresholds and caps ----------------------------------------------------------------------------------

@pytest.mark.parametrize("amount, ok", [(10000, True), (9999, False), (10001, True)])
def test_is_a_coupon_threshold_met_from_exactly_its_amount(amount, ok):
    inp = PricingInput(amount=amount, coupons=(cash(1, 2000, min_spend=10000),))
    if ok:
        assert price(inp, Choice(coupon_ids=(1,))).pay == amount - 2000
    else:
        with pytest.raises(PricingError):
            price(inp, Choice(coupon_ids=(1,)))


def test_do_points_count_against_a_coupon_threshold_and_does_the_best_keep_it_met():
    inp = PricingInput(amount=12000, points_available=5000, points_per_yuan=100, points_max_percent=20,
                       coupons=(disc(1, 80, min_spend=10000),), sharing=ALL_SHARED)
    with pytest.raises(PricingError, match="需消费满"):
        price(inp, Choice(coupon_ids=(1,), points=2400))
    assert price(inp, Choice(points=2400)).pay == 9600 and price(inp, Choice(coupon_ids=(1,))).pay == 9600
    chosen = best(inp)
    # the most points that keep ¥100 to pay: 2000; then 8折: 8000
    assert (chosen.pay, chosen.points_used, chosen.coupon_ids) == (8000, 2000, (1,))


@pytest.mark.parametrize("points, ok", [(3000, True), (3001, False), (3100, False)])
def test_are_points_capped_at_the_merchants_share_of_the_order(points, ok):
    inp = PricingInput(amount=10000, points_available=10000, points_per_yuan=100, points_max_percent=30)
    if ok:
        assert price(inp, Choice(points=points)).pay == 7000
    else:
        with pytest.raises(PricingError, match="最多抵扣 ¥30.00"):
            price(inp, Choice(points=points))


@pytest.mark.parametrize("rate, points, ok, fen", [
    (300, 3, True, 1), (300, 4, False, 0), (300, 300, True, 100), (100, 1, True, 1), (150, 3, True, 2),
    (150, 2, False, 0), (1, 1, True, 100),
])
def test_are_only_points_worth_whole_fen_accepted(rate, points, ok, fen):
    inp = PricingInput(amount=100000, points_available=10**6, points_per_yuan=rate, points_max_percent=100)
    if ok:
        assert price(inp, Choice(points=points)).pay == 100000 - fen
    else:
        with pytest.raises(PricingError, match="整数倍"):
            price(inp, Choice(points=points))


@pytest.mark.parametrize("available, rate, percent, before, expected", [
    (10000, 100, 50, 10000, 5000),
    (1200, 100, 50, 10000, 1200),
    (10000, 300, 10, 1001, 300),   # cap 100 fen = 300 points
    (10000, 300, 10, 999, 297),    # cap 99 fen = 297 points
    (10000, 150, 100, 101, 150),   # unit 3 points = 2 fen; 151 -> 150
    (10000, None, 50, 10000, 0),
    (10000, 100, 0, 10000, 0),
])
def test_how_many_points_can_a_member_use_at_most(available, rate, percent, before, expected):
    inp = PricingInput(amount=max(before, 1), points_available=available, points_per_yuan=rate,
                       points_max_percent=percent)
    assert max_points(inp, before) == expected


def test_is_a_discount_coupon_held_to_its_cap():
    quote = price(PricingInput(amount=100000, coupons=(disc(1, 50, cap=2000),)), Choice(coupon_ids=(1,)))
    assert quote.pay == 98000
    assert "最多优惠 ¥20.00" in quote.steps[0].detail


def test_does_a_cash_coupon_never_take_more_than_is_left():
    quote = price(PricingInput(amount=500, coupons=(cash(1, 2000),)), Choice(coupon_ids=(1,)))
    assert (quote.pay, steps_of(quote)) == (0, [("coupon", 500)])


# --- refusals ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("choice, message", [
    (Choice(coupon_ids=(99,)), "没有这张"),
    (Choice(coupon_ids=(1, 1)), "两次"),
    (Choice(points=-100), "正整数"),
    (Choice(points=20000), "积分不足"),
])
def test_are_invalid_choices_refused_in_chinese(choice, message):
    inp = PricingInput(amount=10000, points_available=10000, points_per_yuan=100, points_max_percent=100,
                       coupons=(cash(1, 100),), sharing=SharingRules(multiple_coupons=True))
    with pytest.raises(PricingError, match=message) as refused:
        price(inp, choice)
    assert isinstance(refused.value, DomainError)


def test_are_points_refused_when_the_merchant_has_no_points_deduction():
    with pytest.raises(PricingError, match="未开启"):
        price(PricingInput(amount=10000, points_available=500), Choice(points=100))


@pytest.mark.parametrize("fields", [
    dict(amount=0), dict(amount=10**10 + 1), dict(amount=100, lines=(Line(50),)), dict(level_discount_percent=0),
    dict(balance_discount_percent=101), dict(random_min=5, random_max=1), dict(points_max_percent=101),
    dict(coupons=(cash(1, 100), cash(1, 200))), dict(coupons=(CouponOffer(1, "discount", "坏券"),)),
])
def test_is_an_input_the_engine_cannot_price_refused(fields):
    with pytest.raises(PricingError):
        price(PricingInput(**{"amount": 10000, **fields}), Choice())


def test_are_gift_and_ticket_coupons_never_priced():
    gift = CouponOffer(5, "gift", "咖啡兑换券")
    inp = PricingInput(amount=10000, coupons=(gift, CouponOffer(6, "ticket", "门票"), cash(1, 100)))
    quote = price(inp, Choice(coupon_ids=(5,)))
    assert (quote.pay, quote.coupon_ids, quote.steps) == (10000, (), ())
    assert all(set(c.coupon_ids) <= {1} for c in choices(inp))


# --- determinism, ties, speed -------------------------------------------------------------------------------

def test_does_the_same_input_give_the_same_quote():
    inp = PricingInput(amount=23456, level_discount_percent=88, points_available=900, points_per_yuan=300,
                       points_max_percent=40, coupons=(cash(1, 500), disc(2, 90, cap=800)),
                       sharing=ALL_SHARED, random_min=1, random_max=500, seed="order-42")
    assert best(inp) == best(inp)
    assert price(inp, Choice(coupon_ids=(2,), points=300)) == price(inp, Choice(coupon_ids=(2,), points=300))


def test_is_the_random_reduction_seeded_per_order_and_within_bounds():
    draws = {random_reduction(PricingInput(amount=100, random_min=10, random_max=50, seed=f"o{i}"))
             for i in range(200)}
    assert draws <= set(range(10, 51)) and len(draws) > 20
    assert random_reduction(PricingInput(amount=100, seed="x")) == 0
    capped = price(PricingInput(amount=30, random_min=100, random_max=200, seed="s"), Choice())
    assert (capped.pay, steps_of(capped)) == (0, [("random", 30)])


def test_are_ties_broken_by_fewer_points_then_fewer_coupons_then_the_lowest_id():
    inp = PricingInput(amount=10000, points_available=1000, points_per_yuan=100, points_max_percent=10,
                       coupons=(cash(7, 1000), cash(3, 1000)))
    assert best(inp).coupon_ids == (3,)  # a coupon and points both take ¥10: fewer points wins
    several = PricingInput(amount=1000, coupons=(cash(7, 1000), cash(3, 1000), cash(4, 500)),
                           sharing=SharingRules(multiple_coupons=True))
    assert best(several).coupon_ids == (3,)


def test_does_best_on_twenty_coupons_take_under_5_ms():
    coupons = tuple(cash(i, 100 * i, min_spend=1000 * i) if i % 2 else disc(i, 80 + i % 10, cap=300 * i)
                    for i in range(1, 21))
    for sharing in (SharingRules(), ALL_SHARED, SharingRules(True, True, True, True)):
        inp = PricingInput(amount=50000, level_discount_percent=95, points_available=10000, points_per_yuan=100,
                           points_max_percent=50, coupons=coupons, sharing=sharing, random_max=300, seed="o")
        timings = []
        for _ in range(10):
            started = time.perf_counter()
            best(inp)
            timings.append(time.perf_counter() - started)
        assert min(timings) < 0.005, (sharing, min(timings))
