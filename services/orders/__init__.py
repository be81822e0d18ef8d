"""Orders a member pays for with money: priced on the server, stock reserved, paid through a payment channel,
paid once, fulfilled once, refunded by kind, and the channel's final word on a refund.

Public face: `orders`, `card_sales`, `gift_card_sales`, `fulfilment`, `refunds`, `refund_results`, `stock_reservations`;
`channel_payments` (starting a payment, recording a channel's verified payment, settling an overdue order by asking
its channel) and the channels' notifications: `wechat_notifications`, `wechat_refund_notifications`,
`alipay_notifications`, with `notification_rejects` (what did not verify: counted with one sample, not kept) and
`notification_rates` (a merchant's notifications per minute).
"""
