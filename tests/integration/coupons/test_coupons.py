"""Coupons against PostgreSQL: stock and limits under concurrency, one verification per code, store and tenant isolation."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from domain.clock import now_utc
from domain.errors import Conflict, DomainError, NotFound, PermissionDenied
from models import CouponCode, CouponTemplate, Merchant, Staff, Verification
from services.coupons import issue as coupon_issue, templates as coupon_templates, till_codes
from services.verification import instruments
from tests.integration.helpers import run_concurrently


def cash_template(db, owner, **overrides):
    values = dict(kind="cash", title="满100减20", amount_off=2000, min_spend=10000, validity_mode="relative",
                  valid_days=30)
    values.update(overrides)
    return coupon_templates.save_template(db.session, owner, None, **values)


@pytest.fixture()
def shop(db, make):
    merchant = make.merchant()
    owner = make.staff(merchant, role="owner")
    store_a, store_b = make.store(merchant, "东门店"), make.store(merchant, "西门店")
    cashier_a = make.staff(merchant, role="cashier", stores_=[store_a])
    cashier_b = make.staff(merchant, role="cashier", stores_=[store_b])
    return dict(merchant=merchant, owner=owner, store_a=store_a, store_b=store_b, cashier_a=cashier_a,
                cashier_b=cashier_b)


def test_do_500_concurrent_claims_on_a_stock_of_100_issue_exactly_100_codes(app, db, make, shop):
    template = cash_template(db, shop["owner"], stock_total=100)
    people = [make.member(shop["merchant"]).id for _ in range(500)]
    db.session.commit()
    merchant_id, template_id = shop["merchant"].id, template.id

    def grab(session, index):
        merchant = session.get(Merchant, merchant_id)
        return coupon_issue.claim(session, merchant, template_id, people[index], channel="h5", key=f"claim:{index}").id

    done, refused = run_concurrently(app, 500, grab)

    assert len(done) == 100 and len(refused) == 400
    assert all(isinstance(e, Conflict) and e.message == "券已领完" for e in refused)
    db.session.expire_all()
    assert db.session.scalar(select(func.count(CouponCode.id))) == 100
    assert db.session.get(CouponTemplate, template_id).stock_issued == 100


def test_does_the_per_member_limit_hold_under_concurrent_claims(app, db, make, shop):
    template = cash_template(db, shop["owner"], per_member_limit=2)
    member_id = make.member(shop["merchant"]).id
    db.session.commit()
    merchant_id, template_id = shop["merchant"].id, template.id

    def grab(session, index):
        return coupon_issue.claim(session, session.get(Merchant, merchant_id), template_id, member_id, channel="h5",
                                  key=f"limit:{index}").id

    done, refused = run_concurrently(app, 20, grab)
    assert len(done) == 2 and all("每人限领 2 张" in e.message for e in refused)


def test_do_50_staff_verifying_one_code_at_once_succeed_exactly_once(app, db, make, shop):
    template = cash_template(db, shop["owner"])
    code = coupon_issue.claim(db.session, shop["merchant"], template.id, make.member(shop["merchant"]).id,
                              channel="h5", key="c1")
    store = shop["store_a"]
    staff_ids = [make.staff(shop["merchant"], role="verifier", stores_=[store]).id for _ in range(50)]
    db.session.commit()
    typed, store_id = code.code, store.id

    def use(session, index):
        staff = session.get(Staff, staff_ids[index])
        return till_codes.verify(session, staff, typed, store_id=store_id, method="manual", key=f"v:{index}").id

    done, refused = run_concurrently(app, 50, use)

    assert len(done) == 1 and len(refused) == 49
    assert all("该券已使用" in e.message and "东门店" in e.message for e in refused), refused[0].message
    assert db.session.scalar(select(func.count(Verification.id))) == 1


def test_can_a_cashier_verify_a_coupon_in_a_store_that_is_not_theirs(db, make, shop):
    template = cash_template(db, shop["owner"])
    code = coupon_issue.claim(db.session, shop["merchant"], template.id, make.member(shop["merchant"]).id,
                              channel="staff", key="c2")
    with pytest.raises(PermissionDenied):
        till_codes.verify(db.session, shop["cashier_b"], code.code, store_id=shop["store_a"].id, method="scan", key="x")
    assert db.session.get(CouponCode, code.id).state == "available"


def test_is_a_coupon_for_other_stores_refused_with_the_reason(db, make, shop):
    template = cash_template(db, shop["owner"], store_ids=[shop["store_a"].id])
    code = coupon_issue.claim(db.session, shop["merchant"], template.id, make.member(shop["merchant"]).id,
                              channel="h5", key="c3")
    with pytest.raises(Conflict, match="不能在本门店使用"):
        till_codes.verify(db.session, shop["cashier_b"], code.code, store_id=shop["store_b"].id, method="manual",
                          key="y")
    record = till_codes.verify(db.session, shop["cashier_a"], code.code, store_id=shop["store_a"].id, method="manual",
                               key="z")
    assert (record.store_id, record.staff_id, record.instrument_name) == (shop["store_a"].id, shop["cashier_a"].id, "满100减20")


def test_can_another_merchants_staff_find_or_use_a_code(db, make, shop):
    template = cash_template(db, shop["owner"])
    code = coupon_issue.claim(db.session, shop["merchant"], template.id, make.member(shop["merchant"]).id,
                              channel="h5", key="c4")
    other = make.merchant()
    intruder = make.staff(other, role="cashier")
    with pytest.raises(NotFound):
        till_codes.verify(db.session, intruder, code.code, store_id=intruder.stores[0].id, method="manual", key="w")
    with pytest.raises(NotFound):
        coupon_issue.claim(db.session, other, template.id, make.member(other).id, channel="h5", key="steal")
    assert db.session.get(CouponCode, code.id).state == "available"


def test_can_the_same_staff_undo_a_verification_only_within_the_window(db, make, shop):
    template = cash_template(db, shop["owner"])
    code = coupon_issue.claim(db.session, shop["merchant"], template.id, make.member(shop["merchant"]).id,
                              channel="h5", key="c5")
    record = till_codes.verify(db.session, shop["cashier_a"], code.code, store_id=shop["store_a"].id, method="scan",
                               key="v5")
    with pytest.raises(PermissionDenied):
        instruments.undo(db.session, shop["owner"], record.id)
    with pytest.raises(Conflict, match="不能撤销"):
        instruments.undo(db.session, shop["cashier_a"], record.id, now=now_utc() + timedelta(minutes=11))
    instruments.undo(db.session, shop["cashier_a"], record.id)
    db.session.expire_all()
    assert db.session.get(CouponCode, code.id).state == "available"
    assert db.session.get(Verification, record.id).undone_at is not None


def test_does_a_repeated_verification_key_return_the_first_record(db, make, shop):
    template = cash_template(db, shop["owner"])
    code = coupon_issue.claim(db.session, shop["merchant"], template.id, make.member(shop["merchant"]).id,
                              channel="h5", key="c6")
    first = till_codes.verify(db.session, shop["cashier_a"], code.code, store_id=shop["store_a"].id, method="api",
                              key="till-1")
    again = till_codes.verify(db.session, shop["cashier_a"], code.code, store_id=shop["store_a"].id, method="api",
                              key="till-1")
    assert again.id == first.id


def test_is_a_verification_key_reused_for_another_code_refused_and_that_code_left_unused(db, make, shop):
    template = cash_template(db, shop["owner"])
    member = make.member(shop["merchant"])
    first = coupon_issue.claim(db.session, shop["merchant"], template.id, member.id, channel="h5", key="c7")
    second = coupon_issue.claim(db.session, shop["merchant"], template.id, member.id, channel="h5", key="c8")
    db.session.commit()
    till_codes.verify(db.session, shop["cashier_a"], first.code, store_id=shop["store_a"].id, method="api",
                      key="till-2")
    db.session.commit()
    with pytest.raises(Conflict, match="幂等键"):
        till_codes.verify(db.session, shop["cashier_a"], second.code, store_id=shop["store_a"].id, method="api",
                          key="till-2")
    db.session.rollback()
    assert db.session.get(CouponCode, second.id).state == "available"


@pytest.mark.parametrize("overrides, message", [
    (dict(amount_off=None), "减免金额"),
    (dict(kind="discount", discount_percent=100), "折"),
    (dict(kind="gift"), "兑换内容"),
    (dict(validity_mode="fixed"), "有效期"),
    (dict(stock_total=0), "库存"),
    (dict(start_minute=600), "时段"),
    (dict(title="券" * 41), "不能超过"),
    (dict(price=0), "售价"),
    (dict(price=-100), "售价"),
    (dict(price="9.9"), "售价"),
])
def test_is_a_bad_template_refused_and_nothing_saved(db, shop, overrides, message):
    with pytest.raises(DomainError, match=message):
        cash_template(db, shop["owner"], **overrides)
    db.session.rollback()
    assert db.session.scalar(select(func.count(CouponTemplate.id))) == 0
