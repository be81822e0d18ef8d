"""The stored-value journal. Every change locks the wallet row and guards the update on the balance."""
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from domain import wallet as rules
from domain.clock import now_utc
from domain.errors import Conflict, DomainError, NotFound, WalletFrozen
from domain.money import MAX_FEN
from models import Wallet, WalletPosting, WalletTransaction
from services.card_push import pending as card_push
from services.merchant import audit
from services.shared import idempotency, ledger_rows
from services.wechat import notices
from services.shared.tenancy import get_owned
from services.shared.text import optional_text

WALLET_ACCOUNTS = (rules.WALLET_PRINCIPAL, rules.WALLET_BONUS)


def member_wallet(session, merchant_id, member_id):
    wallet = session.scalars(
        select(Wallet).where(Wallet.merchant_id == merchant_id, Wallet.member_id == member_id, Wallet.kind == "member")
    ).one_or_none()
    if wallet is None:
        wallet = Wallet(merchant_id=merchant_id, member_id=member_id, kind="member", principal=0, bonus=0)
        session.add(wallet)
        session.flush()
    return wallet


def credit(session, merchant_id, wallet_id, principal, bonus=0, *, key, reference=(None, None),
           operator=None, store_id=None, note=None):
    """Add paid money (principal) and given value (bonus) to a wallet."""
    for value in (principal, bonus):
        _check_fen(value, allow_zero=True)
    if principal + bonus <= 0:
        raise DomainError("充值金额须大于 0")
    return _apply(session, merchant_id, wallet_id, "credit", key, reference, operator, store_id, note,
                  plan=lambda wallet: rules.Split(principal, bonus), expected_amount=principal + bonus)


def debit(session, merchant_id, wallet_id, amount, *, key, reference=(None, None), operator=None,
          store_id=None, note=None, locked=None):
    """Spend `amount`, drawn from principal and bonus in proportion. Raises InsufficientBalance, WalletFrozen.

    `locked`: the wallet row the caller's transaction already locked, for a key derived from a row it inserted
    under its own unique key (a checkout): no second lock, no look-up of an earlier transaction, no savepoint."""
    _check_fen(amount)

    def plan(wallet):
        if wallet.frozen:
            raise WalletFrozen("储值账户已冻结，暂不能使用余额")
        split = rules.split_spend(amount, wallet.principal, wallet.bonus)
        return rules.Split(-split.principal, -split.bonus)

    return _apply(session, merchant_id, wallet_id, "debit", key, reference, operator, store_id, note,
                  plan=plan, expected_amount=-amount, locked=locked)


def withdraw(session, merchant_id, wallet_id, principal, bonus=0, *, key, reference=(None, None), operator=None,
             store_id=None, note=None):
    """Take value out the way it came in: principal back to the member (cash), bonus back to the merchant.

    For a returned card or a refunded top-up. Refused on a frozen wallet (unfreeze first, on purpose) and
    when either side would go below zero.
    """
    for value in (principal, bonus):
        _check_fen(value, allow_zero=True)
    if principal + bonus <= 0:
        raise DomainError("退还金额须大于 0")

    def plan(wallet):
        if wallet.frozen:
            raise WalletFrozen("储值账户已冻结，请先解冻")
        if principal > wallet.principal or bonus > wallet.bonus:
            raise Conflict("退还金额超过账户余额")
        return rules.Split(-principal, -bonus)

    return _apply(session, merchant_id, wallet_id, "withdraw", key, reference, operator, store_id, note,
                  plan=plan, expected_amount=-(principal + bonus))


def refund_debit(session, merchant_id, debit_id, amount, *, key, reference=(None, None), operator=None,
                 store_id=None, note=None):
    """Give back part or all of a spend, to principal and bonus in the proportion it was drawn."""
    _check_fen(amount)
    original = get_owned(session, WalletTransaction, merchant_id, debit_id)
    if original.kind != "debit":
        raise DomainError("只能对消费记录退款")

    def plan(wallet):
        spent = rules.Split(-original.principal_delta, -original.bonus_delta)
        back = rules.split_refund(amount, spent, _refunded_so_far(session, original.id))
        return rules.Split(back.principal, back.bonus)

    return _apply(session, merchant_id, original.wallet_id, "refund", key, reference, operator, store_id, note,
                  plan=plan, expected_amount=amount, reverses_id=original.id)


def set_frozen(session, merchant_id, wallet_id, frozen, *, key, operator=None, note=None):
    """Freeze (read-only: nothing can be spent) or unfreeze a wallet; recorded on the journal."""
    kind = "freeze" if frozen else "unfreeze"
    note = optional_text(note, "原因", 200)

    def plan(wallet):
        if wallet.frozen == frozen:
            raise Conflict("储值账户已是冻结状态" if frozen else "储值账户未冻结")
        wallet.frozen = frozen
        return rules.Split(0, 0)

    return _apply(session, merchant_id, wallet_id, kind, key, (None, None), operator, None, note,
                  plan=plan, expected_amount=0)


def freeze_member_wallet(session, actor, member, wallet_id, frozen, *, key, note=None, ip=None):
    """A manager freezes or unfreezes a member's own wallet: on the journal and in the audit trail."""
    purse = get_owned(session, Wallet, member.merchant_id, wallet_id)
    if purse.member_id != member.id or purse.kind != "member":
        raise NotFound("记录不存在")
    was_frozen = purse.frozen
    txn = set_frozen(session, member.merchant_id, purse.id, frozen, key=key, operator=actor, note=note)
    if was_frozen != frozen:  # a replayed request changed nothing, so it is not audited again
        audit.record(session, actor, "wallet.freeze" if frozen else "wallet.unfreeze", "member", member.id,
                     before={"frozen": was_frozen}, after={"frozen": frozen, "wallet_id": purse.id, "note": note},
                     ip=ip)
    return txn


def journal_of(session, merchant_id, wallet_id, limit=50):
    return session.scalars(
        select(WalletTransaction).where(WalletTransaction.merchant_id == merchant_id,
                                        WalletTransaction.wallet_id == wallet_id)
        .order_by(WalletTransaction.id.desc()).limit(limit)
    ).all()


def journal_balance(session, wallet_id):
    """(principal, bonus) as the sum of the wallet's postings: must equal the wallet row."""
    rows = session.execute(
        select(WalletPosting.account, func.coalesce(func.sum(WalletPosting.amount), 0))
        .where(WalletPosting.wallet_id == wallet_id).group_by(WalletPosting.account)
    ).all()
    sums = dict(rows)
    return sums.get(rules.WALLET_PRINCIPAL, 0), sums.get(rules.WALLET_BONUS, 0)


def _apply(session, merchant_id, wallet_id, kind, key, reference, operator, store_id, note, *, plan,
           expected_amount, reverses_id=None, locked=None):
    idempotency.check_key(key)
    wallet = _locked_wallet(session, merchant_id, wallet_id, locked)
    existing = None if locked is not None else idempotency.find_existing(session, WalletTransaction, merchant_id, key)
    if existing is not None:
        idempotency.ensure_same_request(existing, wallet_id=wallet.id, kind=kind, amount=expected_amount)
        return existing
    delta = plan(wallet)
    reference_type, reference_id = reference
    values = dict(
        merchant_id=merchant_id, wallet_id=wallet.id, kind=kind, idempotency_key=key,
        principal_delta=delta.principal, bonus_delta=delta.bonus, reverses_id=reverses_id,
        reference_type=reference_type, reference_id=reference_id and str(reference_id),
        operator_id=operator.id if operator is not None else None, store_id=store_id, note=note, created_at=now_utc(),
    )
    legs = [dict(merchant_id=merchant_id, account=account, amount=amount,
                 wallet_id=wallet.id if account in WALLET_ACCOUNTS else None)
            for account, amount in rules.journal_legs(kind, delta.principal, delta.bonus)]
    txn = _move_and_record(session, wallet, delta, values, legs, key_is_ours=locked is not None)
    if wallet.kind == "member" and wallet.member_id is not None and (delta.principal or delta.bonus):
        card_push.member_changed(session, merchant_id, wallet.member_id)
    notices.balance_changed(session, merchant_id, wallet, txn)
    return txn


def _move_and_record(session, wallet, delta, values, legs, key_is_ours):
    """On the wallet row this transaction locked: the conditional balance update (none for a change of nothing),
    the transaction and its postings, in one statement on PostgreSQL. The balances after are the locked row's plus
    the change, which the update only makes if neither side goes below zero (and, to spend, the wallet is not
    frozen)."""
    at = now_utc()
    principal_after, bonus_after = wallet.principal + delta.principal, wallet.bonus + delta.bonus
    values = {**values, "principal_after": principal_after, "bonus_after": bonus_after}
    moves = delta.principal or delta.bonus
    gates = [(_MOVE_BALANCE[delta.principal < 0 or delta.bonus < 0],
              {"wallet_id": wallet.id, "principal_delta": delta.principal, "bonus_delta": delta.bonus, "at": at})]
    written = ledger_rows.insert(session, WalletTransaction, values,
                                 children=(WalletPosting, "transaction_id", legs), gates=gates if moves else (),
                                 key_is_ours=key_is_ours)
    if written.earlier is not None:  # another wallet's request holds the key (this wallet's were looked for)
        raise Conflict("重复的请求正在处理，请稍后查看结果")
    if written.row is None:
        raise Conflict("余额已变化，请重试")
    if moves:
        for name, value in (("principal", principal_after), ("bonus", bonus_after), ("updated_at", at)):
            set_committed_value(wallet, name, value)
    return written.row


def _locked_wallet(session, merchant_id, wallet_id, locked):
    if locked is None:
        return get_owned(session, Wallet, merchant_id, wallet_id, lock=True)
    if locked.id != wallet_id or locked.merchant_id != merchant_id:
        raise NotFound("记录不存在")
    return locked


def _move_balance_statement(spending):
    """Built once per kind (every payment by balance runs one): compiled once, with bound parameters."""
    guard = [Wallet.id == bindparam("wallet_id"), Wallet.principal + bindparam("principal_delta") >= 0,
             Wallet.bonus + bindparam("bonus_delta") >= 0]
    if spending:
        guard.append(Wallet.frozen.is_(False))
    return (update(Wallet).where(*guard)
            .values(principal=Wallet.principal + bindparam("principal_delta"),
                    bonus=Wallet.bonus + bindparam("bonus_delta"), updated_at=bindparam("at"))
            .returning(Wallet.principal, Wallet.bonus, Wallet.updated_at))


_MOVE_BALANCE = {spending: _move_balance_statement(spending) for spending in (False, True)}


def _refunded_so_far(session, debit_id):
    principal, bonus = session.execute(
        select(func.coalesce(func.sum(WalletTransaction.principal_delta), 0),
               func.coalesce(func.sum(WalletTransaction.bonus_delta), 0))
        .where(WalletTransaction.reverses_id == debit_id)
    ).one()
    return rules.Split(int(principal), int(bonus))


def _check_fen(value, allow_zero=False):
    if not isinstance(value, int) or isinstance(value, bool):
        raise DomainError("金额须为整数（分）")
    if value < 0 or (value == 0 and not allow_zero):
        raise DomainError("金额须大于 0")
    if value > MAX_FEN:
        raise DomainError("金额过大")


def gift_card_wallet(session, merchant_id):
    """A new wallet holding one gift card's balance, apart from any member's own wallet.

    It has no member: the card row says who holds it, so a transfer moves the card, never the money.
    """
    wallet = Wallet(merchant_id=merchant_id, member_id=None, kind="gift_card", principal=0, bonus=0)
    session.add(wallet)
    session.flush()
    return wallet
