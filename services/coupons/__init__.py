"""Coupons: templates, issuing under stock and per-member limits, verification, bulk issue, points exchange,
receipt claim links, sharing with a friend, and the member's coupon wallet.

Public face: `coupons`, `bulk`, `exchange`, `links`, `sharing`, `member_wallet`.
"""
