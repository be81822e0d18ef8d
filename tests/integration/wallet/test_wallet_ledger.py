"""The stored-value journal against PostgreSQL: never negative, always balanced, applied once per key."""
import pytest
from sqlalchemy import func, select

from domain.errors import DomainError, IdempotencyMismatch, InsufficientBalance, WalletFrozen
from models import Wallet, WalletPosting, WalletTransaction
from services.wallet import journal as wallet
from tests.integration.helpers import run_concurrently


def assert_journal_matches(session, purse):
    session.expire_all()
    purse = session.get(Wallet, purse.id)
    assert wallet.journal_balance(session, purse.id) == (purse.principal, purse.bonus)
    sums = session.execute(
        select(WalletPosting.transaction_id, func.sum(WalletPosting.amount)).group_by(WalletPosting.transaction_id)
    ).all()
    assert all(total == 0 for _, total in sums), "every transaction's postings must sum to zero"
    return purse


def test_do_fifty_concurrent_spends_leave_the_balance_never_below_zero(app, db, make):
    merchant = make.merchant()
    member = make.member(merchant)
    purse = make.wallet(merchant, member, principal=10000, bonus=2000)  # ¥120
    db.session.commit()
    merchant_id, purse_id = merchant.id, purse.id  # threads must not touch this thread's ORM objects

    def spend(session, index):
        return wallet.debit(session, merchant_id, purse_id, 700, key=f"spend:{index}").id

    done, refused = run_concurrently(app, 50, spend)

    assert len(done) == 12000 // 700  # 17 spends fit, the rest are refused
    assert len(refused) == 50 - len(done)
    assert all(isinstance(e, InsufficientBalance) and "余额不足" in e.message for e in refused)
    purse = assert_journal_matches(db.session, purse)
    assert purse.balance == 12000 - 700 * len(done)
    assert purse.principal >= 0 and purse.bonus >= 0


def test_is_the_same_idempotency_key_sent_concurrently_applied_once(app, db, make):
    merchant = make.merchant()
    member = make.member(merchant)
    purse = make.wallet(merchant, member, principal=5000)
    db.session.commit()
    merchant_id, purse_id = merchant.id, purse.id

    done, refused = run_concurrently(
        app, 20, lambda session, i: wallet.debit(session, merchant_id, purse_id, 1000, key="till:order-1").id)

    assert not refused
    assert len(set(done)) == 1, "every caller gets the first result"
    purse = assert_journal_matches(db.session, purse)
    assert purse.balance == 4000
    assert db.session.scalar(select(func.count(WalletTransaction.id)).where(WalletTransaction.kind == "debit")) == 1


def test_does_a_repeated_key_return_the_first_result_and_change_nothing(db, make):
    merchant = make.merchant()
    purse = make.wallet(merchant, make.member(merchant), principal=3000)
    first = wallet.debit(db.session, merchant.id, purse.id, 500, key="k1")
    again = wallet.debit(db.session, merchant.id, purse.id, 500, key="k1")
    assert again.id == first.id
    assert assert_journal_matches(db.session, purse).balance == 2500
    with pytest.raises(IdempotencyMismatch):
        wallet.debit(db.session, merchant.id, purse.id, 900, key="k1")


def test_does_a_spend_draw_principal_and_bonus_in_proportion_and_record_the_split(db, make):
    merchant = make.merchant()
    purse = make.wallet(merchant, make.member(merchant), principal=10000, bonus=1000)
    txn = wallet.debit(db.session, merchant.id, purse.id, 5500, key="k")
    assert (txn.principal_delta, txn.bonus_delta) == (-5000, -500)
    assert (txn.principal_after, txn.bonus_after) == (5000, 500)
    assert sorted((p.account, p.amount) for p in txn.postings) == [
        ("sales", 5500), ("wallet_bonus", -500), ("wallet_principal", -5000)]


def test_does_a_partial_refund_reverse_the_recorded_split(db, make):
    merchant = make.merchant()
    purse = make.wallet(merchant, make.member(merchant), principal=9000, bonus=1000)
    spent = wallet.debit(db.session, merchant.id, purse.id, 5000, key="spend")
    first = wallet.refund_debit(db.session, merchant.id, spent.id, 2000, key="refund-1")
    rest = wallet.refund_debit(db.session, merchant.id, spent.id, 3000, key="refund-2")
    assert (first.principal_delta, first.bonus_delta) == (1800, 200)
    assert first.principal_delta + rest.principal_delta == 4500
    assert first.bonus_delta + rest.bonus_delta == 500
    with pytest.raises(DomainError, match="可退金额不足"):
        wallet.refund_debit(db.session, merchant.id, spent.id, 1, key="refund-3")
    purse = assert_journal_matches(db.session, purse)
    assert (purse.principal, purse.bonus) == (9000, 1000)


def test_can_a_frozen_wallet_spend(db, make):
    merchant = make.merchant()
    purse = make.wallet(merchant, make.member(merchant), principal=3000)
    wallet.set_frozen(db.session, merchant.id, purse.id, True, key="freeze-1")
    with pytest.raises(WalletFrozen):
        wallet.debit(db.session, merchant.id, purse.id, 100, key="spend-while-frozen")
    wallet.set_frozen(db.session, merchant.id, purse.id, False, key="unfreeze-1")
    wallet.debit(db.session, merchant.id, purse.id, 100, key="spend-after")
    assert assert_journal_matches(db.session, purse).balance == 2900


def test_does_the_database_itself_refuse_a_negative_balance(db, make):
    """The CHECK constraint is the last line behind the conditional update."""
    from sqlalchemy.exc import IntegrityError

    merchant = make.merchant()
    purse = make.wallet(merchant, make.member(merchant), principal=100)
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(Wallet.__table__.update().where(Wallet.id == purse.id).values(principal=-1))
    db.session.rollback()


@pytest.mark.parametrize("amount", [0, -5, 1.5, True, "100", 10**13])
def test_is_a_nonsense_amount_refused_without_change(db, make, amount):
    merchant = make.merchant()
    purse = make.wallet(merchant, make.member(merchant), principal=1000)
    with pytest.raises(DomainError):
        wallet.debit(db.session, merchant.id, purse.id, amount, key=f"bad-{amount!r}")
    assert assert_journal_matches(db.session, purse).balance == 1000


def test_can_one_merchant_spend_from_another_merchants_wallet(db, make):
    from domain.errors import NotFound

    a, b = make.merchant(), make.merchant()
    purse_b = make.wallet(b, make.member(b), principal=1000)
    with pytest.raises(NotFound):
        wallet.debit(db.session, a.id, purse_b.id, 100, key="cross-tenant")
    assert assert_journal_matches(db.session, purse_b).balance == 1000
