"""积分转储值: a member turns points into stored value at the merchant's rate (e.g. 10 points = ¥1).

Both sides move in one transaction, each with its own key derived from the request's: the points leave the
soonest-expiring lots, and the value arrives as bonus (it was given, not paid for, so a refund never pays it
out as money). In whole yuan, so the rate never needs rounding.
"""
from domain import stored_value as sv_rules
from domain.errors import DomainError
from models import WalletTransaction
from services.merchant import audit
from services.shared import idempotency
from services.points import ledger as points
from services.wallet import stored_value, journal as wallet

MAX_POINTS = 100_000_000


def rate_of(session, merchant_id):
    """Points per yuan, or None when the merchant does not offer the conversion."""
    settings = stored_value.settings_of(session, merchant_id)
    return settings.points_per_yuan if settings.enabled else None


def set_rate(session, actor, points_per_yuan, ip=None):
    """Turn the conversion on at `points_per_yuan`, or off with None. Needs stored value enabled."""
    settings = stored_value.settings_of(session, actor.merchant_id)
    if points_per_yuan is not None:
        if not settings.enabled:
            raise DomainError("请先开通储值")
        if not isinstance(points_per_yuan, int) or not 1 <= points_per_yuan <= 100_000:
            raise DomainError("兑换比例须为 1 到 100000 积分兑 1 元")
    before = settings.points_per_yuan
    settings.points_per_yuan = points_per_yuan
    session.flush()
    audit.record(session, actor, "stored_value.points_rate", "stored_value_settings", settings.id,
                 before={"points_per_yuan": before}, after={"points_per_yuan": points_per_yuan}, ip=ip)
    return settings


def quote(session, merchant_id, amount):
    """Fen that `amount` points buy; refuses when off or not a whole number of yuan."""
    rate = rate_of(session, merchant_id)
    if rate is None:
        raise DomainError("商家未开通积分转储值")
    if not isinstance(amount, int) or not 0 < amount <= MAX_POINTS:
        raise DomainError("请输入要转换的积分")
    if amount % rate:
        raise DomainError(f"请按 {rate} 积分的整数倍转换（{rate} 积分 = ¥1）")
    return amount // rate * 100


def convert(session, merchant, member_id, amount, *, key, operator=None, store_id=None, now=None):
    """Spend `amount` points and credit their value to the member's wallet. Returns (points txn, wallet txn)."""
    fen = quote(session, merchant.id, amount)
    spent = points.spend(session, merchant, member_id, amount, key=f"{key}:points", reason="积分转储值",
                         reference=("points_to_balance", key), operator=operator, store_id=store_id, now=now)
    purse = wallet.member_wallet(session, merchant.id, member_id)
    if idempotency.find_existing(session, WalletTransaction, merchant.id, f"{key}:wallet") is None:
        _check_cap(session, merchant.id, purse, fen)
    credited = wallet.credit(session, merchant.id, purse.id, 0, fen, key=f"{key}:wallet",
                             reference=("points_to_balance", spent.id), operator=operator, store_id=store_id,
                             note=f"{amount} 积分转储值")
    return spent, credited


def _check_cap(session, merchant_id, purse, fen):
    session.refresh(purse, with_for_update=True)  # the cap is checked on a balance nobody else is changing
    cap = stored_value.settings_of(session, merchant_id).max_balance
    sv_rules.check_room(purse.principal + purse.bonus, fen, cap, "转入后储值余额将超过上限 {cap} 元，请少转一些积分")
