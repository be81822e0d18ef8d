"""Cards a member holds: count and timed cards (次卡, 时长卡), gift cards (礼品卡), benefit cards (权益卡), what
card templates share, and the member's physical card (挂失、补卡、退卡).

Public face: `count_timed`, `gift_cards`, `benefit_cards`, `templates`, `physical`.
"""
