"""Rewards a merchant sets up (营销规则): after a payment (支付后营销, receipt coupons), 开卡礼, 关注礼 and
升级礼; the rules, the sentence that previews one, and giving them once.

Public face: `rules`, `preview`, `after_payment`, `gifts`, `follow_gift`.
"""
