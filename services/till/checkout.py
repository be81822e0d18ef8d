"""The till's public face: identify a member, quote, take the payment, refund, print the receipt, list a store's day.

Pricing lives in services/till/quote.py, taking the payment in services/till/payment.py, refunds and receipts in
services/till/refunds.py; pages, the JSON API and self-pay call the till through this module.
"""
from sqlalchemy import select

from domain.clock import local_midnight_utc, local_today, now_utc
from models.checkout import Checkout
from services.shared.tenancy import get_owned
from services.till.payment import pay
from services.till.quote import identify, order_seed, quote
from services.till.refunds import receipt, refund

__all__ = ["identify", "quote", "order_seed", "pay", "refund", "receipt", "today_in_store", "get"]


def today_in_store(session, merchant, store_id, now=None):
    """The store's checkouts since the merchant's local midnight, newest first."""
    since = local_midnight_utc(local_today(merchant.timezone, now or now_utc()), merchant.timezone)
    return session.scalars(select(Checkout).where(Checkout.merchant_id == merchant.id, Checkout.store_id == store_id,
                                                  Checkout.created_at >= since)
                           .order_by(Checkout.created_at.desc(), Checkout.id.desc())).all()


def get(session, merchant_id, checkout_id):
    return get_owned(session, Checkout, merchant_id, checkout_id)
