"""Points as lots: earning, spending from the soonest-expiring lot, expiry, and the member's balance.

Public face: `ledger`; `counter` (手动增减积分 at the counter) and `lookup` (积分查询: the merchant's changes filtered,
paged and exported).
"""
