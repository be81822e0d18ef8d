"""The till's pricing engine: what a member pays for an order, step by step. Pure functions, no I/O.

Steps run in a fixed order (seed 001, 储值折上折): level discount -> benefit-card discount -> balance discount
(储值折上折) -> points deduction -> coupon(s) -> random reduction (随机立减). Each step works on what is still to pay.

Sharing (seed 000, 优惠共享): the merchant says whether level discount, coupons and points combine; by default they
do not. `choices` lists the valid combinations, `best` picks the cheapest for the member, `price` prices the one
the cashier picked and refuses an invalid one with PricingError.

Rounding, one rule everywhere:
- a percentage step leaves `amount * percent // 100`: the price is rounded DOWN to the fen (the member's favour,
  at most 1 fen per step); the same holds for a discount coupon on its base;
- a coupon limited to some categories works on those lines' share of what is still to pay:
  `left * matching_lines // order_amount`, rounded down (the merchant's favour, at most 1 fen); its threshold is
  compared with that share;
- points: N points = ¥1, so p points are worth p*100/N fen, and only whole fen are accepted.

Several coupons (when the merchant allows it): every threshold is compared with what is left when the coupon
step starts, then discount coupons apply before cash ones (a percentage of the larger amount, the member's
favour), each kind by code id, so the result does not depend on the order the cashier ticked them.
Nothing ever goes below zero: each step takes at most what is left. The random reduction is drawn from
sha256(seed) (never the global `random`), so repeating a quote for the same order gives the same amount.

What `best` considers: level on/off; no coupon, each usable coupon alone, and (when allowed) 2-3 of the six
coupons worth most alone; points none, the most allowed, and the most that keeps a coupon's threshold met
(more points never cost more, except by pushing the amount under a threshold). Gift/ticket coupons are skipped.
Pricing of candidates is integer-only; only the winner is itemised, so 20 coupons price in about 1 ms.
"""
import hashlib
from itertools import combinations
from math import gcd

from domain.money import format_yuan
from domain.pricing_types import (  # noqa: F401  (re-exported: callers import everything from domain.pricing)
    MAX_AMOUNT, MAX_COUPONS_TOGETHER, PRICED_KINDS, Choice, CouponOffer, Line, PricingError, PricingInput, Quote,
    SharingRules, Step)


# --- public functions ----------------------------------------------------------------------------------------

def price(inp: PricingInput, choice: Choice) -> Quote:
    """The quote for the combination the cashier picked, or PricingError saying why it is not allowed."""
    check_input(inp)
    return _price(inp, choice)


def choices(inp: PricingInput) -> list:
    """Every combination the engine considers, each valid under the sharing rules: with or without the level
    discount; no coupon or each usable coupon (and, when allowed, 2-3 of the best few together); points none,
    the most allowed, or the most that keeps a coupon's threshold met."""
    check_input(inp)
    return [choice for choice, _ in _considered(inp)]


def best(inp: PricingInput) -> Quote:
    """The cheapest valid combination; ties go to fewer points, then fewer coupons, then the lowest code ids."""
    check_input(inp)
    considered = _considered(inp)
    winner, _ = min(considered, key=lambda item: (item[1], item[0].points, len(item[0].coupon_ids),
                                                  sorted(item[0].coupon_ids), not item[0].use_level))
    quote = _price(inp, winner)  # validates the winner again and itemises it
    return Quote(quote.amount, quote.steps, quote.pay, quote.choice, quote.points_used, quote.coupon_ids,
                 tuple(considered))


def max_points(inp: PricingInput, amount_before_points: int) -> int:
    """The most points usable on `amount_before_points`: within the member's points and the merchant's share,
    and a multiple of the smallest count worth whole fen."""
    rate = inp.points_per_yuan
    if not rate or inp.points_max_percent <= 0 or amount_before_points <= 0:
        return 0
    cap_fen = amount_before_points * inp.points_max_percent // 100
    points = min(inp.points_available, cap_fen * rate // 100)
    return points - points % _points_unit(rate)


def check_input(inp: PricingInput):
    """PricingError when the service built an input the engine cannot price (a bug upstream, not a member error)."""
    if not isinstance(inp.amount, int) or not 0 < inp.amount <= MAX_AMOUNT:
        raise PricingError("订单金额须大于 0 且不超过 1 亿元", amount=inp.amount)
    if inp.lines and sum(line.amount for line in inp.lines) != inp.amount:
        raise PricingError("订单明细金额之和与订单金额不符")
    for percent in (inp.level_discount_percent, inp.benefit_discount_percent, inp.balance_discount_percent):
        if not 1 <= percent <= 100:
            raise PricingError("折扣须在 0.1 到 10 折之间", percent=percent)
    if inp.points_available < 0 or not 0 <= inp.points_max_percent <= 100 or (inp.points_per_yuan or 1) <= 0:
        raise PricingError("积分抵扣规则不正确")
    if not 0 <= inp.random_min <= inp.random_max:
        raise PricingError("随机立减的范围不正确")
    if len({c.code_id for c in inp.coupons}) != len(inp.coupons):
        raise PricingError("优惠券重复")
    for coupon in inp.coupons:
        _check_coupon(coupon)


def _check_coupon(coupon):
    if coupon.kind == "discount" and not 1 <= (coupon.discount_percent or 0) <= 100:
        raise PricingError(f"「{coupon.title}」的折扣不正确", code_id=coupon.code_id)
    if min(coupon.amount_off, coupon.min_spend, coupon.discount_cap or 0) < 0:
        raise PricingError(f"「{coupon.title}」的金额不正确", code_id=coupon.code_id)


# --- one combination ----------------------------------------------------------------------------------------

def _price(inp, choice):
    coupons = _picked(inp, choice.coupon_ids)
    level_on = choice.use_level and inp.level_discount_percent < 100
    _check_sharing(inp.sharing, level_on, bool(coupons), choice.points != 0)
    steps, left = [], inp.amount
    if level_on:
        left = _percent_step(steps, "level", f"{inp.level_name or '会员'} {zhe(inp.level_discount_percent)}",
                             left, inp.level_discount_percent)
    left = _percent_step(steps, "benefit", f"{inp.benefit_name or '权益卡'} {zhe(inp.benefit_discount_percent)}",
                         left, inp.benefit_discount_percent)
    left = _percent_step(steps, "balance", f"储值折上折 {zhe(inp.balance_discount_percent)}",
                         left, inp.balance_discount_percent)
    left = _points_step(steps, inp, choice.points, left)
    left = _coupon_steps(steps, inp, coupons, left)
    left = _random_step(steps, inp, left)
    ids = tuple(c.code_id for c in coupons)
    normalised = Choice(use_level=choice.use_level, coupon_ids=ids, points=choice.points)
    return Quote(inp.amount, tuple(steps), left, normalised, choice.points, ids)


def _picked(inp, coupon_ids):
    """The chosen priced coupons in the order they apply; gift/ticket coupons are skipped (nothing to price)."""
    held = {c.code_id: c for c in inp.coupons}
    if len(set(coupon_ids)) != len(coupon_ids):
        raise PricingError("同一张券不能使用两次")
    unknown = [code_id for code_id in coupon_ids if code_id not in held]
    if unknown:
        raise PricingError("会员没有这张可用的券", code_ids=unknown)
    picked = [held[i] for i in coupon_ids if held[i].kind in PRICED_KINDS]
    if len(picked) > 1 and not inp.sharing.multiple_coupons:
        raise PricingError("本店每单只能使用一张优惠券")
    return _order(picked)


def _order(coupons):
    """Discount coupons first (a percentage of the larger amount, the member's favour), each kind by code id."""
    return sorted(coupons, key=lambda c: (c.kind != "discount", c.code_id))


def _check_sharing(sharing, level_on, with_coupons, with_points):
    if level_on and with_coupons and not sharing.level_with_coupons:
        raise PricingError("会员等级折扣与优惠券不能同时使用")
    if level_on and with_points and not sharing.level_with_points:
        raise PricingError("会员等级折扣与积分抵扣不能同时使用")
    if with_coupons and with_points and not sharing.coupons_with_points:
        raise PricingError("优惠券与积分抵扣不能同时使用")


def _add(steps, kind, label, left, off, detail):
    """Record a step that took something off; `off` never exceeds what is left."""
    off = min(off, left)
    if off > 0:
        steps.append(Step(kind, label, off, detail))
    return left - off


def _percent_step(steps, kind, label, left, percent):
    after = left * percent // 100
    detail = f"¥{format_yuan(left)} × {percent}% = ¥{format_yuan(after)}，优惠 ¥{format_yuan(left - after)}"
    return _add(steps, kind, label, left, left - after, detail)


def _points_step(steps, inp, points, left):
    if points == 0:
        return left
    rate = inp.points_per_yuan
    if points < 0 or not rate:
        raise PricingError("本店未开启积分抵扣" if not rate else "积分数须为正整数")
    if points > inp.points_available:
        raise PricingError(f"积分不足：可用 {inp.points_available} 分", available=inp.points_available)
    if points % _points_unit(rate):
        raise PricingError(f"积分须为 {_points_unit(rate)} 的整数倍（{rate} 分抵 ¥1）", points=points)
    if points > max_points(inp, left):
        cap = left * inp.points_max_percent // 100
        raise PricingError(f"本单积分最多抵扣 ¥{format_yuan(cap)}", points=points)
    fen = points * 100 // rate
    detail = f"{points} 分 ÷ {rate} 分/元 = ¥{format_yuan(fen)}"
    return _add(steps, "points", f"积分抵扣 {points} 分", left, fen, detail)


def _coupon_steps(steps, inp, coupons, left):
    """Thresholds are all checked against what is left when the coupon step starts."""
    for coupon in coupons:
        base = _base(inp, coupon, left)
        if base is None:
            raise PricingError(f"「{coupon.title}」不适用于本单商品", code_id=coupon.code_id)
        if base < coupon.min_spend:
            raise PricingError(f"「{coupon.title}」需消费满 ¥{format_yuan(coupon.min_spend)}，当前应付 ¥{format_yuan(base)}",
                               code_id=coupon.code_id)
    start = left
    for coupon in coupons:
        off, detail = _coupon_off(coupon, _base(inp, coupon, left))
        if coupon.min_spend:
            what = "适用商品" if coupon.categories else "应付"
            detail = f"{what} ¥{format_yuan(_base(inp, coupon, start))} 已满 ¥{format_yuan(coupon.min_spend)}；{detail}"
        left = _add(steps, "coupon", coupon.title or "优惠券", left, off, detail)
    return left


def _base(inp, coupon, left):
    """What a coupon works on: all that is left, or its categories' share of it (None: no line matches)."""
    if not coupon.categories:
        return left
    matching = sum(line.amount for line in inp.lines if line.category in coupon.categories)
    return left * matching // inp.amount if matching else None


def _coupon_amount(coupon, base):
    """Fen a coupon takes off its base: a discount coupon's percentage (within its cap), or a face value."""
    if coupon.kind == "discount":
        off = base - base * _coupon_percent(coupon) // 100
        return off if coupon.discount_cap is None else min(off, coupon.discount_cap)
    return min(coupon.amount_off, base)


def _coupon_percent(coupon):
    return coupon.discount_percent or 100  # checked to be 1..100 for discount coupons


def _coupon_off(coupon, base):
    off = _coupon_amount(coupon, base)
    if coupon.kind != "discount":
        return off, f"¥{format_yuan(base)} 减 ¥{format_yuan(off)}"
    percent = _coupon_percent(coupon)
    cap_note = f"（最多优惠 ¥{format_yuan(coupon.discount_cap)}）" if off < base - base * percent // 100 else ""
    return off, f"¥{format_yuan(base)} × {percent}%，优惠 ¥{format_yuan(off)}{cap_note}"


def _random_step(steps, inp, left):
    off = min(random_reduction(inp), left)
    detail = f"在 ¥{format_yuan(inp.random_min)}–¥{format_yuan(inp.random_max)} 之间随机，本单 ¥{format_yuan(off)}"
    return _add(steps, "random", "随机立减", left, off, detail)


def random_reduction(inp):
    """Uniform in [random_min, random_max], from sha256 of the order's seed: the same order, the same amount."""
    if inp.random_max <= 0:
        return 0
    draw = int.from_bytes(hashlib.sha256(inp.seed.encode()).digest(), "big")
    return inp.random_min + draw % (inp.random_max - inp.random_min + 1)


def _points_unit(rate):
    """The smallest number of points worth whole fen: 300 points = ¥1 -> 3 points = 1 fen."""
    return rate // gcd(rate, 100)


def zhe(percent):
    """95 -> '9.5折', 80 -> '8折'."""
    whole, tenth = divmod(percent, 10)
    return f"{whole}.{tenth}折" if tenth else f"{whole}折"


# --- enumerating combinations ------------------------------------------------------------------------------
# Quick integer-only pricing of combinations that are valid by construction; only the winner gets itemised.

POOL = 6  # several coupons together: combine the 6 worth most on their own (C(6,2)+C(6,3) = 35 sets)


def _considered(inp):
    """(Choice, pay) of every combination considered, without duplicates, in a stable order."""
    found = {}
    for use_level in ((True, False) if inp.level_discount_percent < 100 else (False,)):
        for choice, pay in _for_level(inp, use_level):
            found.setdefault(choice, pay)
    return list(found.items())


def _for_level(inp, use_level):
    """Combinations with the level discount on or off: no coupon, each coupon alone, then several together."""
    sharing, reduction = inp.sharing, random_reduction(inp)
    level_on = use_level and inp.level_discount_percent < 100
    before = _before_points(inp, use_level)
    most = 0 if level_on and not sharing.level_with_points else max_points(inp, before)
    usable = [] if level_on and not sharing.level_with_coupons else _usable(inp, before)
    for points in sorted({0, most}):
        yield Choice(use_level, (), points), _finish(inp, _after_points(inp, before, points), (), reduction)
    with_points = most if sharing.coupons_with_points else 0
    for coupon in usable:
        for points in sorted({0, with_points, _fit(inp, before - _need(inp, coupon), with_points)}):
            left = _after_points(inp, before, points)
            if left >= _need(inp, coupon):
                yield Choice(use_level, (coupon.code_id,), points), _finish(inp, left, (coupon,), reduction)
    if sharing.multiple_coupons:
        for points in sorted({0, with_points}):
            yield from _several(inp, use_level, usable, points, _after_points(inp, before, points), reduction)


def _after_points(inp, before, points):
    return before - points * 100 // inp.points_per_yuan if points else before


def _several(inp, use_level, usable, points, left, reduction):
    valid = [c for c in usable if _need(inp, c) <= left]
    pool = sorted(valid, key=lambda c: (_finish(inp, left, (c,), 0), c.code_id))[:POOL]
    for size in range(2, MAX_COUPONS_TOGETHER + 1):
        for group in combinations(pool, size):
            ordered = _order(group)
            yield Choice(use_level, tuple(c.code_id for c in ordered), points), _finish(inp, left, ordered, reduction)


def _finish(inp, left, coupons, reduction):
    """What is left to pay after the coupon step (coupons already in order) and the random reduction."""
    for coupon in coupons:
        left -= min(_coupon_amount(coupon, _base(inp, coupon, left)), left)
    return left - min(reduction, left)


def _usable(inp, before):
    """Priced coupons whose threshold the amount before points can meet, by code id."""
    return sorted((c for c in inp.coupons if c.kind in PRICED_KINDS and _need(inp, c) is not None
                   and _need(inp, c) <= before), key=lambda c: c.code_id)


def _fit(inp, spare_fen, most):
    """The most points (up to `most`) worth at most `spare_fen`: points that keep a coupon's threshold met."""
    if spare_fen <= 0 or most <= 0:
        return 0
    points = min(most, spare_fen * inp.points_per_yuan // 100)
    return points - points % _points_unit(inp.points_per_yuan)


def _before_points(inp, use_level):
    left = inp.amount
    percents = ((inp.level_discount_percent,) if use_level else ()) + (inp.benefit_discount_percent,
                                                                        inp.balance_discount_percent)
    for percent in percents:
        left = left * percent // 100
    return left


def _need(inp, coupon):
    """The least amount left at the coupon step that meets the coupon's threshold (None: it never applies)."""
    if not coupon.categories:
        return coupon.min_spend
    matching = sum(line.amount for line in inp.lines if line.category in coupon.categories)
    if not matching:
        return None
    return -(-coupon.min_spend * inp.amount // matching)
