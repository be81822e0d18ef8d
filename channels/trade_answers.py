"""What a payment channel says about a trade once its word is trusted (signature verified): a paid online trade
(PaidTrade, in the terms services.orders.settlement.record_payment checks against the order) and a charge of a
customer's payment code at the till (Charge, for services/till/channels.py)."""
from dataclasses import dataclass


@dataclass(frozen=True)
class PaidTrade:
    """A channel's verified "paid" for an online order (a notification or an order query)."""

    amount: int | None  # fen; None or -1 when the channel's amount is not a plain amount (then it cannot match)
    currency: str | None  # None when the channel does not say (Alipay: always CNY)
    app_id: str | None
    merchant_no: str | None  # WeChat's mch_id, Alipay's seller_id
    trade_no: str | None  # the channel's own trade number
    payer: str | None  # WeChat openid, Alipay user id


@dataclass(frozen=True)
class Charge:
    """A channel's word on a payment-code charge: paid, waiting (the payer is entering a password), failed
    (nothing was taken; `message` tells the cashier why), unknown (no trustworthy answer: ask again) or absent
    (the channel has no such trade)."""

    state: str
    trade_no: str | None = None
    amount: int | None = None
    message: str = ""
