"""Sales at the till (收银): per store and day, payments and money paid, by tender, the members' share, discounts
by kind and refunds. An incremental family: the payment and the refund add their figures to today's rollup in their
own transaction (`after_payment`, `after_refund`), and the day query below sums the same figures from the raw rows
when a day is rebuilt; the two must agree (tests/integration/reports/test_sales_report.py checks they do).

Keys (count, amount in fen): payments (checkouts, pay), gross (checkouts, amount before discounts), discount
(checkouts with any, total discount), tender:<tender> (checkouts, pay), member (checkouts of members, pay),
discount:<kind> (steps, their amount; kinds level, benefit, balance, points, coupon, random), refunds (refunds,
money given back), on the day each happened.
"""
from sqlalchemy import Integer, String, cast, func, literal, literal_column, select, union_all

from models.checkout import Checkout, CheckoutRefund
from services.reports import rollups
from services.reports.families import register

FAMILY = "sales"
DISCOUNT_KINDS = ("level", "benefit", "balance", "points", "coupon", "random")


def payment_figures(checkout):
    """The figures one checkout adds: the same as the day query's rows for it."""
    figures = {"payments": (1, checkout.pay), "gross": (1, checkout.amount),
               f"tender:{checkout.tender}": (1, checkout.pay)}
    if checkout.discount:
        figures["discount"] = (1, checkout.discount)
    if checkout.member_id is not None:
        figures["member"] = (1, checkout.pay)
    for step in checkout.steps or ():
        count, amount = figures.get(f"discount:{step['kind']}", (0, 0))
        figures[f"discount:{step['kind']}"] = (count + 1, amount + step["amount"])
    return figures


def after_payment(session, merchant, checkout):
    rollups.add(session, merchant.id, merchant.timezone, FAMILY, checkout.created_at, checkout.store_id,
                payment_figures(checkout), spread_by=checkout.id)


def after_refund(session, merchant, checkout, refund):
    rollups.add(session, merchant.id, merchant.timezone, FAMILY, refund.created_at, checkout.store_id,
                {"refunds": (1, refund.amount)}, spread_by=refund.id)


@register(FAMILY, incremental=True)
def day_rows(window):
    paid = select(Checkout.store_id, Checkout.member_id, Checkout.tender, Checkout.amount, Checkout.discount,
                  Checkout.pay, Checkout.steps).where(
        Checkout.merchant_id == window.merchant_id, Checkout.created_at >= window.start,
        Checkout.created_at < window.end).cte("paid")
    one = literal(1, Integer)
    parts = [
        select(paid.c.store_id, literal("payments", String), one, paid.c.pay),
        select(paid.c.store_id, literal("gross", String), one, paid.c.amount),
        select(paid.c.store_id, literal("discount", String), one, paid.c.discount).where(paid.c.discount > 0),
        select(paid.c.store_id, literal("tender:", String) + paid.c.tender, one, paid.c.pay),
        select(paid.c.store_id, literal("member", String), one, paid.c.pay).where(paid.c.member_id.is_not(None)),
        _discount_steps(paid, window.dialect),
        select(Checkout.store_id, literal("refunds", String), one, CheckoutRefund.amount)
        .join(Checkout, Checkout.id == CheckoutRefund.checkout_id)
        .where(CheckoutRefund.merchant_id == window.merchant_id, CheckoutRefund.created_at >= window.start,
               CheckoutRefund.created_at < window.end),
    ]
    united = union_all(*parts).subquery()
    columns = list(united.c)
    return select(columns[0].label("store_id"), columns[1].label("key"), columns[2].label("count"),
                  columns[3].label("amount"))


def _discount_steps(paid, dialect):
    """One row per priced step of each checkout: ("discount:" + kind, its amount)."""
    if dialect == "postgresql":
        step = func.json_array_elements(paid.c.steps).table_valued("value").render_derived()
        kind, amount = step.c.value.op("->>")("kind"), step.c.value.op("->>")("amount")
    else:
        step = func.json_each(paid.c.steps).table_valued("value")  # SQLite names json_each's columns itself
        kind = func.json_extract(step.c.value, "$.kind")
        amount = func.json_extract(step.c.value, "$.amount")
    return select(paid.c.store_id, literal("discount:", String) + kind, literal_column("1"),
                  cast(amount, Integer)).select_from(paid).join(step, literal_column("true"))
