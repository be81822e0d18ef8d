"""Every job module, imported once here so that the registry (jobs/base.py) knows every job by name."""
from jobs import campaigns, card_stock, coupons, levels, membership, notices, payments, points, reports, self_pay, sends, stored_value, wechat  # noqa: F401
from jobs import alipay_vouchers  # noqa: F401

MODULES = (campaigns, card_stock, coupons, levels, membership, notices, payments, points, reports, self_pay, sends, stored_value, wechat)
MODULES += (alipay_vouchers,)
