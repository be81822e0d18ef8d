"""What a payment channel says about a paid trade, once its word is trusted (signature verified), in the terms
services.orders.orders.record_payment checks against the order."""
from dataclasses import dataclass


@dataclass(frozen=True)
class PaidTrade:
    amount: int | None  # fen; None or -1 when the channel's amount is not a plain amount (then it cannot match)
    currency: str | None  # None when the channel does not say (Alipay: always CNY)
    app_id: str | None
    merchant_no: str | None  # WeChat's mch_id, Alipay's seller_id
    trade_no: str | None  # the channel's own trade number
    payer: str | None  # WeChat openid, Alipay user id
