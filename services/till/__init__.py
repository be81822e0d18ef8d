"""The till (收银): identify a member, quote, take the payment in one transaction, refund it, charge a
payment code through WeChat Pay or Alipay, the till's settings, and member self-pay (自助买单).

Public face: `checkout` (over `quote`, `payment`, `refunds`), `settings`, `channels`, `channel_refunds`,
`self_pay`, `self_pay_orders`.
"""
