"""What makes a till payment cheap, against PostgreSQL: a bounded number of statements, configuration remembered
per process (and forgotten when it changes), ledger writes on the rows the payment already locked."""
import pytest
from sqlalchemy import event, func, select, text

from domain import pricing
from domain.clock import now_utc
from domain.errors import DomainError, NotFound
from models import Checkout, CouponCode, Wallet
from services.till import quote as checkout, settings as checkout_settings
from services.shared import merchant_memory
from services.points import ledger as points
from services.wallet import journal as wallet
from tests.integration.helpers import run_concurrently
from tests.integration.till.test_checkout import (configure, give_coupon, pay, pay_in, quote, shop,  # noqa: F401
                                              shop_ids, top_up)


@pytest.fixture()
def statements(db):
    seen = []

    def count(conn, cursor, statement, params, context, executemany):
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", count)
    yield seen
    event.remove(db.engine, "before_cursor_execute", count)


def shown(statements):
    return "\n".join(s[:200] for s in statements)


def test_how_many_statements_do_a_quote_and_a_balance_payment_with_a_coupon_and_points_run(db, shop, statements):
    configure(db, shop["merchant"], earn_per_yuan=1)
    give_coupon(db, shop)
    top_up(db, shop, 50000)
    db.session.commit()
    quote(db, shop, 10000, tender="balance")  # the first look reads the configuration this process remembers
    db.session.rollback()
    # the request's tenant and actor, loaded as a request would have them
    _ = (shop["merchant"].timezone, shop["store"].active, shop["owner"].role, shop["member"].id)

    statements.clear()
    offered = quote(db, shop, 10000, tender="balance")
    assert offered.quote.pay == 8000
    quoted = list(statements)
    db.session.rollback()
    _ = (shop["merchant"].timezone, shop["store"].active, shop["owner"].role, shop["member"].id)
    statements.clear()
    made = pay(db, shop, 10000, tender="balance")
    paid = list(statements)
    db.session.commit()

    assert made.pay == 8000 and made.points_earned == 80
    # the member with their wallet, lost card and coupons, one statement: the rest is remembered (11 before the
    # fast path)
    assert len(quoted) == 1 and "FROM coupon_codes" in quoted[0], shown(quoted)
    # 40 before the fast path. Now: the member and wallet locked in one statement, the coupons; the checkout
    # claiming its key; the coupon's conditional UPDATE with its record, one statement; the wallet's UPDATE,
    # transaction and postings, one statement; the points transaction with its lot, one statement; on a cold
    # process memory, whether any post-payment rule is on, the nudge settings and whether an audience-entry
    # campaign (自动派券) is live (asked only after a payment, so not remembered by the quote above), whose reads
    # flush the member's and the checkout's changes first; last, the day's sales rollup (one upsert, services/reports).
    assert len(paid) <= 12 and sum(s.startswith("SELECT") for s in paid) <= 5, shown(paid)
    assert sum("UPDATE members" in s for s in paid) == 1, shown(paid)
    assert not db.session.dirty and not db.session.new  # nothing left for the unit of work to write

    # Remembered now: the payment's last writes (the member's counters and balance, the checkout's wallet
    # transaction) go in one statement.
    top_up(db, shop, 8000)
    db.session.commit()
    _ = (shop["merchant"].timezone, shop["store"].active, shop["owner"].role, shop["member"].id)
    statements.clear()
    again = pay(db, shop, 10000, key="till-2", tender="balance")
    paid = list(statements)
    db.session.commit()
    assert again.pay == 10000 and again.wallet_transaction_id
    # 7, and the member marked for their card in the card package (one upsert that finds no card here)
    assert len(paid) <= 8, shown(paid)
    assert sum("INSERT INTO report_daily" in s for s in paid) == 1, shown(paid)
    assert sum("INSERT INTO card_package_pushes" in s for s in paid) == 1, shown(paid)
    last = [s for s in paid if "UPDATE members" in s]
    assert len(last) == 1 and last[0].startswith("WITH u0 AS (UPDATE ") and "UPDATE checkouts" in last[0], \
        shown(paid)
    assert not db.session.dirty and not db.session.new


def test_does_a_payment_expire_due_points_before_pricing_them(db, shop):
    from datetime import timedelta

    from models import PointsLot

    configure(db, shop["merchant"], points_per_yuan=100, points_max_percent=50)
    top_up(db, shop, 50000)
    old = points.earn(db.session, shop["merchant"], shop["member"].id, 500, key="old", reason="旧积分")
    points.earn(db.session, shop["merchant"], shop["member"].id, 300, key="new", reason="新积分")
    lot = db.session.query(PointsLot).filter_by(transaction_id=old.id).one()
    lot.expires_at = now_utc() - timedelta(days=1)  # its time came since: nothing has expired it yet
    db.session.commit()

    made = pay(db, shop, 10000, tender="balance", choice=pricing.Choice(use_level=True, points=300))
    db.session.commit()

    db.session.refresh(shop["member"])
    assert made.points_used == 300
    assert db.session.get(PointsLot, lot.id).remaining == 0  # expired by the payment, not offered to it
    assert shop["member"].points_balance == made.points_earned
    kinds = [t.kind for t in points.history_of(db.session, shop["merchant"].id, shop["member"].id)]
    assert kinds[:3] == ["earn", "spend", "expire"]


def test_does_a_payment_of_a_chosen_combination_read_only_its_coupons(db, shop, statements):
    kept = give_coupon(db, shop, title="留着的券")
    chosen = give_coupon(db, shop, title="选中的券")
    top_up(db, shop, 50000)
    db.session.commit()
    chosen_id = chosen.id
    quote(db, shop, 10000, tender="balance")  # warms this process's memory
    db.session.rollback()
    _ = (shop["merchant"].timezone, shop["store"].active, shop["owner"].role, shop["member"].id)

    statements.clear()
    made = pay(db, shop, 10000, tender="balance", key="no-coupon", choice=pricing.Choice(use_level=True))
    assert made.coupon_code_ids == [] and not any("FROM coupon_codes" in s for s in statements)
    db.session.commit()
    _ = (shop["merchant"].timezone, shop["store"].active, shop["owner"].role, shop["member"].id)
    statements.clear()
    made = pay(db, shop, 10000, tender="balance", key="one-coupon",
               choice=pricing.Choice(use_level=True, coupon_ids=(chosen_id,)))
    # the chosen coupon is read with the member's lock, in the same statement
    reads = [s for s in statements if "FROM coupon_codes" in s or "FROM members" in s]
    assert len(reads) == 1 and reads[0].endswith("FOR UPDATE OF members, wallets"), shown(statements)
    db.session.commit()
    assert made.coupon_code_ids == [chosen_id]
    db.session.refresh(kept)
    assert kept.state == "available"
    with pytest.raises(DomainError):  # a chosen coupon that is no longer usable is refused, as before
        pay(db, shop, 10000, tender="balance", key="used-coupon",
            choice=pricing.Choice(use_level=True, coupon_ids=(chosen.id,)))


def test_is_a_settings_change_in_this_process_priced_at_once(db, shop):
    assert quote(db, shop, 10000).points_to_earn == 100
    configure(db, shop["merchant"], earn_per_yuan=3)  # a flush of the row forgets what was remembered
    assert quote(db, shop, 10000).points_to_earn == 300


def test_does_a_change_by_another_process_reach_this_one_within_the_memory_time(app, db, shop, monkeypatch):
    settings = configure(db, shop["merchant"], earn_per_yuan=1)
    db.session.commit()
    assert quote(db, shop, 10000).points_to_earn == 100
    with db.engine.connect() as other:  # another worker's save: nothing this process flushed
        other.execute(text("UPDATE checkout_settings SET earn_per_yuan = 2 WHERE id = :id"), {"id": settings.id})
        other.commit()
    db.session.rollback()
    assert quote(db, shop, 10000).points_to_earn == 100  # still remembered
    clock = merchant_memory.time.monotonic() + merchant_memory.SECONDS + 0.1
    monkeypatch.setattr(merchant_memory.time, "monotonic", lambda: clock)
    assert quote(db, shop, 10000).points_to_earn == 200


def test_does_a_retry_naming_the_coupon_it_used_answer_with_the_first_checkout(db, shop):
    code = give_coupon(db, shop)
    top_up(db, shop, 8000)  # exactly enough for one payment
    db.session.commit()
    choice = pricing.Choice(use_level=True, coupon_ids=(code.id,), points=0)
    first = pay(db, shop, 10000, tender="balance", choice=choice, key="till-retry")
    db.session.commit()
    again = pay(db, shop, 10000, tender="balance", choice=choice, key="till-retry")
    assert again.id == first.id
    with pytest.raises(DomainError):  # the same request under a new key is refused: the coupon is gone
        pay(db, shop, 10000, tender="balance", choice=choice, key="till-new")


def test_are_ledger_writes_on_a_locked_row_refused_for_another_member_or_wallet(db, make, shop):
    other = make.member(shop["merchant"])
    purse = top_up(db, shop, 1000)
    db.session.commit()
    member = points.lock_member(db.session, shop["merchant"].id, shop["member"].id)
    with pytest.raises(DomainError):
        points.earn(db.session, shop["merchant"], other.id, 10, key="k1", locked=member)
    with pytest.raises(NotFound):
        wallet.debit(db.session, shop["merchant"].id, purse.id + 1, 10, key="k2", locked=purse)


def test_does_the_till_read_defaults_without_creating_a_settings_row(db, shop):
    from models.checkout import CheckoutSettings

    quote(db, shop, 10000)
    assert db.session.query(CheckoutSettings).count() == 0
    assert checkout_settings.till_settings(db.session, shop["merchant"].id).earn_per_yuan == 1


def test_are_only_coupons_usable_in_this_store_now_and_taking_money_off_offered(db, make, shop):
    from domain.clock import to_local

    other_store = make.store(shop["merchant"], "西门店")
    db.session.flush()
    weekday = to_local(now_utc(), shop["merchant"].timezone).weekday()
    usable = [give_coupon(db, shop, title="本店券", store_ids=[shop["store"].id]),
              give_coupon(db, shop, title="全店券")]
    give_coupon(db, shop, title="西门店券", store_ids=[other_store.id])
    give_coupon(db, shop, title="明天的券", weekdays=[(weekday + 1) % 7])
    give_coupon(db, shop, kind="gift", title="兑换券", discount_percent=None, gift_item="一杯咖啡")
    db.session.commit()

    offered = quote(db, shop, 10000)
    assert sorted(option.code_id for option in _inputs(db, shop)) == sorted(code.id for code in usable)
    assert offered.quote.coupon_ids[0] in {code.id for code in usable}


def _inputs(db, shop):
    return checkout.context_of(db.session, shop["merchant"], shop["member"], shop["store"].id, 10000, "cash", "s",
                               now_utc()).inp.coupons


def test_are_a_payments_points_drawn_and_recorded_in_one_statement(db, shop, statements):
    from models import PointsAllocation, PointsLot

    configure(db, shop["merchant"], points_per_yuan=100, points_max_percent=50)
    top_up(db, shop, 50000)
    first = points.earn(db.session, shop["merchant"], shop["member"].id, 300, key="a", reason="积分")
    second = points.earn(db.session, shop["merchant"], shop["member"].id, 400, key="b", reason="积分")
    db.session.commit()
    statements.clear()
    made = pay(db, shop, 10000, tender="balance", choice=pricing.Choice(use_level=True, points=500))
    paid = list(statements)
    db.session.commit()

    assert made.points_used == 500
    drawn = [s for s in paid if "UPDATE points_lots" in s]
    assert len(drawn) == 1 and drawn[0].startswith("WITH gate_0 AS (UPDATE points_lots"), shown(paid)
    remaining = dict(db.session.query(PointsLot.transaction_id, PointsLot.remaining)
                     .filter(PointsLot.transaction_id.in_([first.id, second.id])))
    assert remaining == {first.id: 0, second.id: 200}  # the soonest to expire first (the same day: the oldest)
    assert sorted(a.amount for a in db.session.query(PointsAllocation)) == [200, 300]


def test_of_two_concurrent_payments_choosing_one_coupon_is_one_taken_and_the_other_refused(app, db, shop):
    chosen_id = give_coupon(db, shop).id
    top_up(db, shop, 50000)
    db.session.commit()
    ids = shop_ids(shop)

    def spend(session, index):
        return pay_in(session, ids, index, amount=10000,
                      choice=pricing.Choice(use_level=True, coupon_ids=(chosen_id,))).pay

    for _ in range(3):  # the loser either waited for the member's lock or came after: refused either way
        done, refused = run_concurrently(app, 2, spend)
        assert done == [8000] and len(refused) == 1 and "券" in refused[0].message, refused
        db.session.expire_all()
        assert db.session.get(CouponCode, chosen_id).state == "used"
        purse = db.session.scalars(select(Wallet).where(Wallet.member_id == ids[3])).one()
        assert purse.principal + purse.bonus == 50000 - 8000
        assert db.session.scalar(select(func.count(Checkout.id))) == 1
        db.session.execute(text("DELETE FROM verifications"))
        db.session.execute(text("DELETE FROM checkouts"))
        db.session.execute(text("UPDATE coupon_codes SET state = 'available', used_at = NULL, used_by_id = NULL,"
                                " used_store_id = NULL"))
        db.session.execute(text("UPDATE wallets SET principal = principal + 8000 WHERE kind = 'member'"))
        db.session.commit()


def test_is_a_coupon_for_other_stores_left_out_of_the_quote_and_offered_in_its_own(db, make, shop):
    elsewhere = make.store(shop["merchant"])
    here_only = give_coupon(db, shop, title="本店券", store_ids=[shop["store"].id])
    there_only = give_coupon(db, shop, title="他店券", store_ids=[elsewhere.id], discount_percent=50)
    db.session.commit()
    ids = (here_only.id, there_only.id)

    offered = quote(db, shop, 10000)
    assert offered.quote.coupon_ids == (ids[0],) and offered.quote.pay == 8000
    db.session.rollback()
    there = checkout.quote(db.session, shop["merchant"], shop["owner"], store_id=elsewhere.id,
                           member_id=shop["member"].id, amount=10000, tender="cash", seed="order-1")
    assert there.quote.coupon_ids == (ids[1],) and there.quote.pay == 5000
    db.session.rollback()
    with pytest.raises(DomainError):  # chosen at the wrong store: refused when paying, nothing taken
        pay(db, shop, 10000, choice=pricing.Choice(use_level=True, coupon_ids=(ids[1],)))
