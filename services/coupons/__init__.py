"""Coupons: templates, issuing under stock and per-member limits, verification, bulk issue, points exchange,
receipt claim links, sharing with a friend, and the member's coupon wallet.

Public face: `templates` (what a coupon gives and how it is offered), `issue` (a code to a member, under stock and
per-member limits), `till_codes` (a member's codes that price a sale at the till, verification, undo),
`instrument` (the staff page's adapter), `bought_codes` (the codes of a refunded order), `bulk`, `exchange`,
`links`, `sharing`, `member_wallet`.
"""
