"""Issuance at scale (批量发放): coupon codes, points and growth given to thousands of members at once, one statement
per chunk, with stock, per-member limits, budgets and the idempotency key enforced in that statement. Used by the
bulk issue (批量发券) and by campaigns; a single member's claim stays in services/coupons/issue.py.
"""
