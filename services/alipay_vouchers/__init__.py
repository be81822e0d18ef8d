"""Alipay merchant vouchers (支付宝商家券) for a coupon template the merchant chooses.

activities.py: the template becomes an Alipay activity (ordervoucher.create), from its amount, threshold, validity
and title; kinds Alipay cannot express are refused. hooks.py: what issuing, verifying and undoing a coupon code ask
for after their commit (a job; nothing here calls Alipay inside their transaction). deposits.py: the jobs' work: a
code of a member with an Alipay identity deposited into their card package (codedeposit), then each use at our till
(ordervoucher.use) and each undo (ordervoucher.refund) followed, every call with its own out_biz_no so a retry never
doubles. calls.py: one way to call Alipay and say its refusal in words.
"""
