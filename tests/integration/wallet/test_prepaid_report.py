"""The prepaid balance report: balances at the end of any day from the journal, movements of the day, per store."""
from datetime import UTC, date, datetime

import pytest

from models import WalletTransaction
from services.cards import gift_issue, gift_templates
from services.wallet import prepaid_report, journal as wallet


def _at(db, txn, moment):
    """Move a journal entry to a past moment, as if it had been written then."""
    db.session.get(WalletTransaction, txn.id).created_at = moment
    db.session.flush()


@pytest.fixture()
def books(db, make):
    merchant = make.merchant()  # Asia/Shanghai: 2030-03-10 is 03-09 16:00 .. 03-10 16:00 UTC
    east, west = make.store(merchant, "东店"), make.store(merchant, "西店")
    owner = make.staff(merchant, role="owner")
    alice, bob = make.member(merchant), make.member(merchant)
    a = wallet.member_wallet(db.session, merchant.id, alice.id)
    b = wallet.member_wallet(db.session, merchant.id, bob.id)
    _at(db, wallet.credit(db.session, merchant.id, a.id, 10000, 1000, key="t1", store_id=east.id),
        datetime(2030, 3, 9, 2, tzinfo=UTC))
    _at(db, wallet.credit(db.session, merchant.id, b.id, 50000, 8000, key="t2"), datetime(2030, 3, 10, 1, tzinfo=UTC))
    _at(db, wallet.debit(db.session, merchant.id, a.id, 5500, key="s1", store_id=west.id),
        datetime(2030, 3, 10, 3, tzinfo=UTC))
    _at(db, wallet.debit(db.session, merchant.id, b.id, 5800, key="s2", store_id=west.id),
        datetime(2030, 3, 11, 3, tzinfo=UTC))
    template = gift_templates.save_template(db.session, owner, None, title="礼品卡", face_values=[20000], themes=[],
                                            activation="auto")
    card = gift_issue.issue_electronic(db.session, merchant, template.id, alice.id, face_value=20000, theme=None,
                                       channel="staff", key="g1", price_paid=20000)
    for txn in db.session.query(WalletTransaction).filter_by(wallet_id=card.wallet_id):
        txn.created_at = datetime(2030, 3, 10, 4, tzinfo=UTC)
    db.session.commit()
    return merchant


def _by_store(rows):
    return {row.store: row for row in rows}


def test_are_balances_at_a_past_day_end_summed_from_the_journal_per_store(db, books):
    rows, total = prepaid_report.report(db.session, books, date(2030, 3, 10))
    lines = _by_store(rows)
    assert (lines["东店"].principal, lines["东店"].bonus) == (10000, 1000)
    assert (lines["西店"].principal + lines["西店"].bonus) == -5500  # spending there, topped up elsewhere
    assert (lines[prepaid_report.NO_STORE].principal, lines[prepaid_report.NO_STORE].bonus) == (50000, 8000)
    assert total.principal + total.bonus == 10000 + 1000 + 50000 + 8000 - 5500
    assert total.gift_card == 20000


def test_does_the_day_show_only_its_own_movements(db, books):
    rows, total = prepaid_report.report(db.session, books, date(2030, 3, 10))
    assert sum(total.movements["credit"]) == 58000 + 20000  # the gift card sold that day is prepaid value too
    assert sum(total.movements["debit"]) == -5500
    earlier, _ = prepaid_report.report(db.session, books, date(2030, 3, 9))
    assert {row.store for row in earlier} == {"东店"}
    assert _by_store(earlier)["东店"].movements["credit"] == (10000, 1000)


def test_does_the_total_today_equal_what_the_wallets_hold(db, books):
    from models import Wallet

    _, total = prepaid_report.report(db.session, books, date(2030, 12, 31))
    held = db.session.query(Wallet).filter_by(merchant_id=books.id).all()
    assert total.principal + total.bonus + total.gift_card == sum(w.principal + w.bonus for w in held)


def test_is_another_merchants_journal_left_out(db, make, books):
    other = make.merchant()
    purse = wallet.member_wallet(db.session, other.id, make.member(other).id)
    wallet.credit(db.session, other.id, purse.id, 99900, key="other")
    db.session.commit()
    _, total = prepaid_report.report(db.session, books, date(2030, 12, 31))
    assert total.principal + total.bonus == 10000 + 1000 + 50000 + 8000 - 5500 - 5800
