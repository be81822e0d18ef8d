"""Orders a member pays for with money: priced on the server, stock reserved, paid once, fulfilled once,
refunded by kind, and the channel's final word on a refund.

Public face: `orders`, `card_sales`, `gift_card_sales`, `fulfilment`, `refunds`, `refund_results`, `stock_reservations`.
"""
