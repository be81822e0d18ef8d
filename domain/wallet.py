"""Stored value: how a spend divides between principal and bonus, and how a refund reverses it."""
from dataclasses import dataclass

from domain.errors import DomainError, InsufficientBalance
from domain.money import format_yuan, mul_ratio_half_up


@dataclass(frozen=True)
class Split:
    principal: int
    bonus: int

    @property
    def total(self):
        return self.principal + self.bonus


def split_spend(amount: int, principal: int, bonus: int) -> Split:
    """Draw `amount` from principal and bonus in proportion to what the wallet holds.

    The principal share is rounded half up; the remainder comes from bonus. Neither side can be
    overdrawn: amount <= total makes amount*p/total <= p, and the bonus share <= b + 1/2.
    """
    if amount <= 0:
        raise DomainError("金额须大于 0")
    total = principal + bonus
    if amount > total:
        raise InsufficientBalance(
            f"余额不足：当前余额 ¥{format_yuan(total)}，需支付 ¥{format_yuan(amount)}",
            balance=total, needed=amount,
        )
    from_principal = mul_ratio_half_up(amount, principal, total)
    return Split(from_principal, amount - from_principal)


def split_refund(amount: int, original: Split, already_refunded: Split) -> Split:
    """Give back `amount` of a spend in the proportion that spend drew it."""
    left = Split(original.principal - already_refunded.principal, original.bonus - already_refunded.bonus)
    if amount <= 0:
        raise DomainError("退款金额须大于 0")
    if amount > left.total:
        raise DomainError(f"可退金额不足：最多可退 ¥{format_yuan(left.total)}", refundable=left.total)
    if amount == left.total:
        return left
    to_principal = mul_ratio_half_up(amount, original.principal, original.total)
    to_principal = min(left.principal, max(to_principal, amount - left.bonus))
    return Split(to_principal, amount - to_principal)


# Journal legs per transaction kind. Wallet accounts grow with positive amounts; the
# merchant's accounts mirror them, so every transaction's legs sum to zero.
WALLET_PRINCIPAL, WALLET_BONUS = "wallet_principal", "wallet_bonus"
CASH, BONUS_GRANTED, SALES = "cash", "bonus_granted", "sales"


def journal_legs(kind: str, principal_delta: int, bonus_delta: int):
    """[(account, amount)] for a wallet change; wallet legs first."""
    legs = [(WALLET_PRINCIPAL, principal_delta), (WALLET_BONUS, bonus_delta)]
    if kind in ("credit", "withdraw"):  # a withdraw is a credit run backwards
        legs += [(CASH, -principal_delta), (BONUS_GRANTED, -bonus_delta)]
    elif kind in ("debit", "refund"):
        legs += [(SALES, -(principal_delta + bonus_delta))]
    elif kind in ("freeze", "unfreeze"):
        return []
    else:
        raise ValueError(f"unknown wallet transaction kind {kind!r}")
    legs = [(account, amount) for account, amount in legs if amount != 0]
    assert sum(amount for _, amount in legs) == 0
    return legs
