"""Points as lots: earning, spending from the soonest-expiring lot, expiry, and the member's balance.

Public face: `ledger`.
"""
