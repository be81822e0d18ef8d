"""Verification (核销): one interface over every instrument a member holds, the record each verification
writes, the instrument QR token, and the records for reconciliation.

Public face: `instruments`, `lookup` (what an adapter answers), `records`, `qr`, `reports`.
"""
