"""积分查询 against PostgreSQL: the merchant's points changes filtered by the merchant's days, physical card number,
member name or phone, kind and store, newest first; keyset pages that cover every row once, ties included; another
merchant's changes never appear, whatever is typed; bad input is refused in Chinese."""
from datetime import date, datetime, timedelta, timezone

import pytest

from domain.errors import DomainError
from models import MemberIdentity
from services.points import ledger, lookup


def at(day, hour, minute=0):
    """A moment given in Shanghai time (the merchants' default timezone)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=timezone(timedelta(hours=8))).astimezone(timezone.utc)


def card(db, merchant, member, number, active=True):
    db.session.add(MemberIdentity(merchant_id=merchant.id, member_id=member.id, kind="card_no", value=number,
                                  active=active))
    db.session.flush()


@pytest.fixture()
def shop(db, make):
    merchant = make.merchant(name="积分查询店")
    east, west = make.store(merchant, "东门店"), make.store(merchant, "西门店")
    cashier = make.staff(merchant, role="cashier", username="cash1", stores_=[east])
    zhang = make.member(merchant, mobile="13800000001", name="张伟")
    li = make.member(merchant, mobile="13900000002", name="李娜")
    card(db, merchant, zhang, "8800001")
    ledger.earn(db.session, merchant, zhang.id, 100, key="z1", reason="消费", store_id=east.id, now=at(10, 9))
    ledger.earn(db.session, merchant, li.id, 40, key="l1", store_id=west.id, now=at(10, 12))
    ledger.adjust(db.session, merchant, zhang.id, -30, key="z2", reason="补扣", operator=cashier, store_id=east.id,
                  now=at(11, 23, 30))  # 23:30 in Shanghai still belongs to the 11th
    ledger.spend(db.session, merchant, li.id, 10, key="l2", reason="兑换", now=at(12, 0, 30))
    other = make.merchant(name="隔壁店")
    twin = make.member(other, mobile="13800000001", name="张伟")  # same phone and name at another merchant
    card(db, other, twin, "8800001")
    ledger.earn(db.session, other, twin.id, 999, key="o1", now=at(11, 10))
    db.session.commit()
    return dict(merchant=merchant, east=east, west=west, cashier=cashier, zhang=zhang, li=li, other=other,
                twin=twin)


def ids(db, shop, merchant=None, first=date(2026, 11, 1), last=date(2026, 11, 30), **wanted):
    found = lookup.page(db.session, merchant or shop["merchant"], lookup.filters(first, last, **wanted))
    return [(row.member_name, row.amount) for row in found.rows]


def test_are_every_change_of_the_merchant_listed_newest_first_with_who_where_and_why(db, shop):
    found = lookup.page(db.session, shop["merchant"], lookup.filters(date(2026, 11, 1), date(2026, 11, 30)))
    assert [(r.member_name, r.amount, r.balance_after) for r in found.rows] == [
        ("李娜", -10, 30), ("张伟", -30, 70), ("李娜", 40, 40), ("张伟", 100, 100)]
    adjusted = found.rows[1]
    assert (adjusted.kind_label, adjusted.note, adjusted.store, adjusted.operator) == ("手动调整", "补扣", "东门店",
                                                                                       "员工cashier")
    assert adjusted.mobile == "138****0001" and adjusted.card_no == "8800001"
    assert found.rows[0].card_no == "" and found.next_cursor is None


def test_do_the_dates_follow_the_merchants_timezone(db, shop):
    assert ids(db, shop, first=date(2026, 11, 11), last=date(2026, 11, 11)) == [("张伟", -30)]
    assert ids(db, shop, first=date(2026, 11, 12), last=date(2026, 11, 12)) == [("李娜", -10)]
    assert ids(db, shop, first=date(2026, 11, 13), last=date(2026, 11, 30)) == []


def test_do_card_name_phone_kind_and_store_narrow_the_list(db, shop):
    assert ids(db, shop, card_no="8800001") == [("张伟", -30), ("张伟", 100)]
    assert ids(db, shop, card_no=" 8800001 ", kind="earn") == [("张伟", 100)]
    assert ids(db, shop, card_no="0000000") == []
    assert ids(db, shop, member="李") == [("李娜", -10), ("李娜", 40)]
    assert ids(db, shop, member="13800000001") == [("张伟", -30), ("张伟", 100)]
    assert ids(db, shop, member="0002") == [("李娜", -10), ("李娜", 40)]
    assert ids(db, shop, member="李", card_no="8800001") == []  # both given: both must match
    assert ids(db, shop, kind="spend") == [("李娜", -10)]
    assert ids(db, shop, store_id=shop["east"].id) == [("张伟", -30), ("张伟", 100)]


def test_does_a_lost_and_replaced_card_still_find_the_members_history(db, shop):
    card(db, shop["merchant"], shop["li"], "7700001", active=False)
    assert ids(db, shop, card_no="7700001") == [("李娜", -10), ("李娜", 40)]


def test_is_another_merchants_change_never_shown_whatever_is_typed(db, shop):
    for wanted in ({}, {"card_no": "8800001"}, {"member": "张伟"}, {"member": "13800000001"}, {"kind": "earn"}):
        assert ("张伟", 999) not in ids(db, shop, **wanted)
    assert ids(db, shop, merchant=shop["other"]) == [("张伟", 999)]
    assert ids(db, shop, merchant=shop["other"], store_id=shop["east"].id) == []


def test_do_keyset_pages_cover_every_change_once_in_order_ties_included(db, make, shop):
    merchant, member = shop["merchant"], make.member(shop["merchant"], name="翻页")
    for n in range(123):  # three changes share each moment: the id breaks the tie
        ledger.earn(db.session, merchant, member.id, 1, key=f"p{n}", now=at(20, 10) + timedelta(minutes=n // 3))
    db.session.commit()
    wanted = lookup.filters(date(2026, 11, 20), date(2026, 11, 20))
    seen, cursor, pages = [], None, 0
    while True:
        page = lookup.page(db.session, merchant, wanted, cursor=cursor)
        seen += [(row.at, row.id) for row in page.rows]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 3 and len(seen) == 123 and len(set(seen)) == 123
    assert seen == sorted(seen, reverse=True)


def test_is_bad_input_refused_in_chinese(db, shop):
    first, last = date(2026, 11, 1), date(2026, 11, 30)
    for wanted, words in (({"kind": "gift"}, "未知的积分类型"), ({"member": "张" * 65}, "不能超过"),
                          ({"card_no": "8" * 33}, "不能超过"), ({"member": "a\x00b"}, "不允许")):
        with pytest.raises(DomainError, match=words):
            lookup.filters(first, last, **wanted)
    for cursor in ("abc", "1-", "-1", "1-99999999999", "9" * 30 + "-1", "１２-3"):
        with pytest.raises(DomainError, match="翻页参数"):
            lookup.page(db.session, shop["merchant"], lookup.filters(first, last), cursor=cursor)


def test_does_a_name_matching_too_many_members_ask_for_more(db, make, shop, monkeypatch):
    monkeypatch.setattr(lookup, "MAX_MEMBERS", 2)
    for n in range(3):
        make.member(shop["merchant"], name=f"王{n}")
    with pytest.raises(DomainError, match="请输入更完整"):
        ids(db, shop, member="王")
