"""Clients for WeChat, Alipay and SMS. Base URLs come from config: the sandbox in development, the real hosts in production.

What services call on a payment channel (prepay, query, close, refund, a notification's signature or encryption) is
in `wechat_pay_trades` and `alipay_trades`; `payment_channels` names them by an order's channel. Channels import
neither services, jobs nor entry points.
"""
