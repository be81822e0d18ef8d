"""Statements run on the psycopg cursor (services/shared/direct_sql.py) answer exactly as SQLAlchemy's execution does:
the same rows, types, errors and listeners, and SQLAlchemy's own execution where the cursor cannot run one."""
from datetime import timedelta

import psycopg
import pytest
from sqlalchemy import bindparam, create_engine, event, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError

from domain.clock import now_utc
from models import Checkout, Member, Merchant, PointsLot, Store
from services.till import quote as checkout
from services.coupons import till_codes
from services.shared import direct_sql, ledger_rows, plain_rows
from services.points import ledger as points
from tests.integration.till.test_checkout import give_coupon, shop, top_up  # noqa: F401

_STORE_NAMES = select(Store.id, Store.name).where(Store.merchant_id == bindparam("merchant_id"),
                                                  Store.id.in_(bindparam("ids", expanding=True))).order_by(Store.id)
_STORE_NAMES_BUT = select(Store.id).where(Store.merchant_id == bindparam("merchant_id"),
                                          Store.id.not_in(bindparam("ids", expanding=True))).order_by(Store.id)
_RENAME = update(Store).where(Store.id == bindparam("store_id")).values(name=bindparam("new_name"))
_SECRET = select(Merchant.wechat_app_secret, Merchant.created_at).where(Merchant.id == bindparam("merchant_id"))
_INSERT_MERCHANT = insert(Merchant).returning(Merchant.id, Merchant.wechat_app_secret)
_INSERT_CHECKOUT = insert(Checkout).returning(Checkout.id)


def both(connection, statement, params):
    """(SQLAlchemy's rows as tuples, direct_sql's)."""
    return [tuple(row) for row in connection.execute(statement, params).all()], \
        direct_sql.rows(connection, statement, params)


def test_does_the_member_statement_read_the_same_rows_as_sqlalchemy(db, shop):
    codes = [give_coupon(db, shop, title=f"券{n}") for n in range(3)]
    top_up(db, shop, 10000)
    db.session.commit()
    connection = db.session.connection()
    base = {"merchant_id": shop["merchant"].id, "member_id": shop["member"].id, "now": now_utc(),
            "store_id": shop["store"].id}
    for among, ids in ((False, []), (True, [codes[0].id, codes[2].id]), (True, []), (True, [2**31 - 1])):
        for lock in (False, True):
            statement = checkout._member_and_wallet_query(lock, among)
            ours, theirs = both(connection, statement, {**base, "ids": ids})
            assert theirs == ours and len(theirs) == max(len(ids) if among else 3, 1)


def test_is_an_expanding_in_a_list_of_any_length_and_not_in_its_opposite(db, make):
    tenant = make.merchant()
    stores = [make.store(tenant, name=f"店{n}") for n in range(4)]
    db.session.commit()
    connection = db.session.connection()
    for ids in ([], [stores[1].id], [s.id for s in stores], [stores[3].id, stores[0].id, 10**9]):
        params = {"merchant_id": tenant.id, "ids": ids}
        ours, theirs = both(connection, _STORE_NAMES, params)
        assert theirs == ours and {row[0] for row in theirs} == set(ids) & {s.id for s in stores}
        ours, theirs = both(connection, _STORE_NAMES_BUT, params)
        assert theirs == ours and {row[0] for row in theirs} == {s.id for s in stores} - set(ids)


def test_do_bind_and_result_processors_apply_encrypted_text_and_utc_times(db):
    written_at = now_utc().astimezone(pricing_timezone()) - timedelta(days=1)  # not UTC: written as UTC
    values = plain_rows.complete(Merchant, {"slug": "direct-sql", "name": "直连", "wechat_app_secret": "s3cret",
                                            "created_at": written_at})
    connection = db.session.connection()
    merchant_id, secret = direct_sql.rows(connection, _INSERT_MERCHANT, values)[0]
    assert secret == "s3cret"  # read back through the column's decryption
    stored = connection.exec_driver_sql("SELECT wechat_app_secret FROM merchants WHERE id = %(id)s",
                                        {"id": merchant_id}).scalar_one()
    assert stored != "s3cret" and stored  # what the database holds is the cipher text
    (secret, created_at), = direct_sql.rows(connection, _SECRET, {"merchant_id": merchant_id})
    assert secret == "s3cret" and created_at == written_at and created_at.utcoffset() == timedelta(0)


def pricing_timezone():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Shanghai")


def test_does_a_statement_without_rows_answer_none_and_change_what_it_says(db, make):
    store = make.store(make.merchant(), name="旧名")
    db.session.commit()
    connection = db.session.connection()
    assert direct_sql.rows(connection, _RENAME, {"store_id": store.id, "new_name": "新名"}) == []
    assert direct_sql.scalar(connection, select(Store.name).where(Store.id == store.id), {}) == "新名"
    assert direct_sql.scalar(connection, select(Store.name).where(Store.id == -1), {}) is None


def test_is_a_broken_constraint_sqlalchemys_integrity_error_and_the_session_goes_on(db, shop):
    db.session.commit()
    values = plain_rows.complete(Checkout, {"merchant_id": shop["merchant"].id, "store_id": shop["store"].id,
                                            "source": "staff", "amount": 100, "discount": 0, "pay": 100,
                                            "tender": "cash", "balance_paid": 0, "points_used": 0,
                                            "points_earned": 0, "state": "paid", "refunded_amount": 0,
                                            "idempotency_key": "same", "created_at": now_utc()})
    direct_sql.rows(db.session.connection(), _INSERT_CHECKOUT, values)
    with pytest.raises(IntegrityError) as raised:
        direct_sql.rows(db.session.connection(), _INSERT_CHECKOUT, values)
    assert isinstance(raised.value.orig, psycopg.errors.UniqueViolation)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Checkout)) == 0


def test_do_the_engines_listeners_see_each_statement(db, make):
    seen = []
    listener = lambda conn, cursor, statement, params, context, many: seen.append((statement, params))  # noqa
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        direct_sql.rows(db.session.connection(), _STORE_NAMES, {"merchant_id": 1, "ids": [5]})
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(seen) == 1 and "= ANY(%(ids)s)" in seen[0][0] and seen[0][1]["ids"] == [5]


def test_is_a_connection_the_server_dropped_invalidated_and_replaced(db, make):
    make.merchant()
    db.session.commit()
    connection = db.session.connection()
    backend = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    with psycopg.connect(db.engine.url.render_as_string(hide_password=False).replace("+psycopg", ""),
                         autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (backend,))
    with pytest.raises(OperationalError) as raised:
        direct_sql.rows(connection, select(Merchant.id), {})
    assert raised.value.connection_invalidated
    db.session.rollback()
    assert direct_sql.rows(db.session.connection(), select(func.count()).select_from(Merchant), {}) == [(1,)]


def test_does_a_statement_it_cannot_run_take_sqlalchemys_execution(db, make):
    tenant = make.merchant(name="回退")
    db.session.commit()
    by_default = select(Merchant.name).where(Merchant.id == bindparam("id", callable_=lambda: tenant.id))
    assert direct_sql.rows(db.session.connection(), by_default, {}) == [("回退",)]
    assert direct_sql._compiled(db.session.connection().dialect, by_default, {}) is None


def test_are_statements_built_per_call_only_cached_up_to_the_bound(db, monkeypatch):
    monkeypatch.setattr(direct_sql, "MAX_COMPILED", 5)
    direct_sql._cache.clear()
    for n in range(12):
        assert direct_sql.rows(db.session.connection(), text(f"SELECT {n}"), {}) == [(n,)]
    assert len(direct_sql._cache) <= 5


def test_does_sqlite_take_sqlalchemys_execution_with_the_same_answer(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'direct.sqlite3'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE stores (id INTEGER PRIMARY KEY, name TEXT, merchant_id INTEGER)")
        connection.exec_driver_sql("INSERT INTO stores VALUES (1, '甲', 7), (2, '乙', 7), (3, '丙', 8)")
        assert direct_sql.rows(connection, _STORE_NAMES, {"merchant_id": 7, "ids": [2, 3]}) == [(2, "乙")]
        assert direct_sql.rows(connection, _RENAME, {"store_id": 1, "new_name": "丁"}) == []
        assert direct_sql.scalar(connection, text("SELECT name FROM stores WHERE id = 1"), {}) == "丁"
    engine.dispose()


def test_does_a_locking_read_give_a_member_the_session_holds_the_values_it_locked(db, shop):
    top_up(db, shop, 5000)
    db.session.commit()
    member = shop["member"]
    assert member.points_balance == 0  # held by this session
    with db.engine.begin() as other:  # another request changes the row meanwhile
        other.execute(update(Member).where(Member.id == member.id).values(points_balance=70))
    read, (purse, _), _, _ = checkout.member_and_wallet(db.session, shop["merchant"].id, member.id, now_utc(),
                                                        lock=True)
    assert read is member and member.points_balance == 70 and purse.principal == 5000
    assert not db.session.dirty


def test_does_a_draw_leave_a_lot_the_session_holds_reading_what_is_left(db, shop):
    merchant, member = shop["merchant"], shop["member"]
    points.earn(db.session, merchant, member.id, 300, key="direct:earn", reason="测试")
    db.session.commit()
    lot = db.session.scalars(select(PointsLot).where(PointsLot.member_id == member.id)).one()
    assert lot.remaining == 300
    points.spend(db.session, merchant, member.id, 120, key="direct:spend", reason="测试")
    db.session.commit()
    assert lot.remaining == 180


def test_is_every_till_statement_run_on_the_cursor(db, shop):
    """The till's own statements are ones direct_sql runs itself (none falls back to SQLAlchemy's execution)."""
    connection = db.session.connection()
    for lock in (False, True):
        for among in (None, False, True):
            statement = checkout._member_and_wallet_query(lock, among)
            params = {"merchant_id": 1, "member_id": 1, "now": now_utc(), "store_id": 1, "ids": [1]}
            assert direct_sql._compiled(connection.dialect, statement, params) is not None
    assert direct_sql._compiled(connection.dialect, points._LIVE_LOTS, {"member_id": 1}) is not None
    row = plain_rows.complete(Checkout, {})
    params = {f"p_{key}": value for key, value in row.items()}
    assert direct_sql._compiled(connection.dialect, ledger_rows.together_statement(Checkout.__table__), params)
    assert direct_sql._compiled(connection.dialect, till_codes.priced_codes(True),
                                {"member_id": 1, "now": now_utc(), "ids": [1],
                                 "store_id": 1}) is not None
