"""Staff commission (业务员提成): the kinds of earnings and the arithmetic, in integer fen."""

ENTRY_KINDS = ("new_member", "topup", "card_sale", "guided_spend", "reversal")
ENTRY_KIND_LABELS = {"new_member": "拉新", "topup": "充值提成", "card_sale": "售卡提成",
                     "guided_spend": "导购会员消费", "reversal": "退款冲回"}


def share_of(amount_fen, rate_bp):
    """`rate_bp` basis points of an amount, rounded half up to the fen (commission never exceeds the base)."""
    if amount_fen <= 0 or rate_bp <= 0:
        return 0
    return (amount_fen * rate_bp + 5000) // 10000
