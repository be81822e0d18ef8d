"""Stored value (储值): the double-entry journal, the merchant's switch and top-up tiers, 储值折上折,
积分转储值, the top-up nudge after a payment, and the prepaid balance report.

Public face: `journal`, `stored_value`, `balance_discount`, `points_to_balance`, `topup_nudge`, `prepaid_report`.
"""
