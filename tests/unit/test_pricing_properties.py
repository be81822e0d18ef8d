"""Properties of the pricing engine over generated orders: bounds, itemisation, monotonicity, the best choice."""
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.pricing import (Choice, CouponOffer, Line, PricingError, PricingInput, SharingRules, best, choices,
                            price)

percents = st.one_of(st.just(100), st.integers(1, 100))
fen = st.integers(0, 20000)


@st.composite
def coupons(draw):
    offers = []
    for code_id in draw(st.lists(st.integers(1, 60), unique=True, max_size=6)):
        kind = draw(st.sampled_from(["cash", "discount", "groupon", "gift", "ticket"]))
        offers.append(CouponOffer(
            code_id, kind, f"券{code_id}", amount_off=draw(fen),
            discount_percent=draw(st.integers(1, 100)) if kind == "discount" else None,
            discount_cap=draw(st.one_of(st.none(), fen)), min_spend=draw(st.one_of(st.just(0), fen)),
            categories=draw(st.sampled_from([(), ("food",), ("drink",), ("food", "drink")]))))
    return tuple(offers)


@st.composite
def inputs(draw):
    amount = draw(st.one_of(st.integers(1, 30000), st.integers(1, 10**10)))
    lines = ()
    if draw(st.booleans()):
        food = draw(st.integers(0, amount))
        lines = tuple(line for line in (Line(food, "food"), Line(amount - food, "drink")) if line.amount)
    low = draw(st.sampled_from([0, draw(st.integers(0, 3000))]))
    return PricingInput(
        amount=amount, lines=lines, level_name="金卡", level_discount_percent=draw(percents),
        benefit_discount_percent=draw(percents), balance_discount_percent=draw(percents),
        points_available=draw(st.integers(0, 10**6)), points_per_yuan=draw(st.one_of(st.none(), st.integers(1, 1000))),
        points_max_percent=draw(st.integers(0, 100)), coupons=draw(coupons()),
        sharing=SharingRules(*(draw(st.booleans()) for _ in range(4))),
        random_min=low, random_max=draw(st.sampled_from([low, low + draw(st.integers(0, 3000))])),
        seed=draw(st.text(max_size=12)))


def check_quote(inp, quote):
    assert 0 <= quote.pay <= inp.amount
    assert all(step.amount > 0 for step in quote.steps)
    assert sum(step.amount for step in quote.steps) + quote.pay == inp.amount
    kinds = ["level", "benefit", "balance", "points", "coupon", "random"]
    order = [kinds.index(step.kind) for step in quote.steps]
    assert order == sorted(order)


def fewer(choice):
    """Every choice with one discount removed."""
    if choice.use_level:
        yield replace(choice, use_level=False)
    if choice.points:
        yield replace(choice, points=0)
    for code_id in choice.coupon_ids:
        yield replace(choice, coupon_ids=tuple(i for i in choice.coupon_ids if i != code_id))


@settings(max_examples=300, database=None, deadline=None)
@given(inp=inputs())
def test_is_every_considered_choice_valid_bounded_and_itemised(inp):
    alternatives = best(inp).alternatives
    assert [choice for choice, _ in alternatives] == choices(inp)
    for choice, pay in alternatives:
        quote = price(inp, choice)
        check_quote(inp, quote)
        assert quote.pay == pay


@settings(max_examples=300, database=None, deadline=None)
@given(inp=inputs())
def test_is_the_automatic_choice_never_worse_than_any_alternative_considered(inp):
    chosen = best(inp)
    check_quote(inp, chosen)
    assert chosen.pay == min(pay for _, pay in chosen.alternatives)
    assert price(inp, chosen.choice).pay == chosen.pay


@settings(max_examples=300, database=None, deadline=None)
@given(inp=inputs())
def test_does_removing_a_discount_never_lower_the_price(inp):
    for choice in choices(inp):
        pay = price(inp, choice).pay
        for without in fewer(choice):
            assert price(inp, without).pay >= pay
    pay = best(inp).pay
    for field in ("level_discount_percent", "benefit_discount_percent", "balance_discount_percent"):
        assert price(replace(inp, **{field: 100}), best(inp).choice).pay >= pay
    assert price(replace(inp, random_max=0, random_min=0), best(inp).choice).pay >= pay


@settings(max_examples=300, database=None, deadline=None)
@given(inp=inputs(), data=st.data())
def test_is_any_choice_either_refused_or_priced_within_bounds(inp, data):
    ids = [c.code_id for c in inp.coupons] + [999]
    choice = Choice(use_level=data.draw(st.booleans()),
                    coupon_ids=tuple(data.draw(st.lists(st.sampled_from(ids), max_size=3))),
                    points=data.draw(st.one_of(st.just(0), st.integers(-5, 10**6))))
    try:
        quote = price(inp, choice)
    except PricingError:
        return
    check_quote(inp, quote)
    assert quote == price(inp, choice)
    for without in fewer(quote.choice):
        assert price(inp, without).pay >= quote.pay
