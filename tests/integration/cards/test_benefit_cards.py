"""Benefit cards against PostgreSQL: stock under concurrency, the gift pack once, refunds, extension, isolation."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from domain import cards as card_rules
from domain import coupons as code_rules
from domain.clock import now_utc
from domain.errors import Conflict, DomainError, NotFound, PermissionDenied
from models import Card, CardRefund, CardTemplate, CouponCode, Merchant
from services.cards import benefit_in_force, benefit_issue, benefit_refunds, benefit_templates, benefit_texts
from services.coupons import issue as coupon_issue, templates as coupon_templates, till_codes
from services.verification import instruments
from tests.integration.helpers import run_concurrently


@pytest.fixture()
def shop(db, make):
    merchant = make.merchant()
    owner = make.staff(merchant, role="owner")
    store = make.store(merchant, "东门店")
    coffee = coupon_templates.save_template(db.session, owner, None, kind="gift", title="咖啡兑换券", gift_item="拿铁",
                                            validity_mode="relative", valid_days=30)
    cash = coupon_templates.save_template(db.session, owner, None, kind="cash", title="十元券", amount_off=1000,
                                          validity_mode="relative", valid_days=30)
    return dict(merchant=merchant, owner=owner, store=store, coffee=coffee, cash=cash)


def card_template(db, shop, **overrides):
    values = dict(title="黄金权益卡", price=9900, valid_days=30, discount_percent=90, points_multiplier=200,
                  free_items=["每月免费洗车 1 次"],
                  gift_pack=[{"template_id": shop["coffee"].id, "count": 2}, {"template_id": shop["cash"].id,
                                                                              "count": 1}])
    values.update(overrides)
    return benefit_templates.save_template(db.session, shop["owner"], None, **values)


def pack_codes(db, card_id):
    db.session.expire_all()
    return db.session.scalars(select(CouponCode).where(CouponCode.source_card_id == card_id)
                              .order_by(CouponCode.id)).all()


def test_do_100_concurrent_claims_on_a_stock_of_20_issue_exactly_20_cards(app, db, make, shop):
    template = card_template(db, shop, price=None, stock_total=20, gift_pack=[])
    people = [make.member(shop["merchant"]).id for _ in range(100)]
    db.session.commit()
    merchant_id, template_id = shop["merchant"].id, template.id

    def grab(session, index):
        return benefit_issue.issue(session, session.get(Merchant, merchant_id), template_id, people[index],
                                   channel="h5", key=f"grab:{index}").id

    done, refused = run_concurrently(app, 100, grab)

    assert len(done) == 20 and len(refused) == 80
    assert all(isinstance(e, Conflict) and e.message == "该权益卡已售罄" for e in refused)
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Card.id))) == 20
    assert db.session.get(CardTemplate, template_id).stock_issued == 20


def test_is_the_gift_pack_granted_once_when_the_same_issue_is_retried(app, db, make, shop):
    template = card_template(db, shop)
    member = make.member(shop["merchant"])
    db.session.commit()
    merchant_id, template_id, member_id = shop["merchant"].id, template.id, member.id

    def buy(session, index):
        return benefit_issue.issue(session, session.get(Merchant, merchant_id), template_id, member_id,
                                   channel="staff", key="order:42", price_paid=9900).id

    done, refused = run_concurrently(app, 8, buy)
    again = benefit_issue.issue(db.session, shop["merchant"], template_id, member_id, channel="staff",
                                key="order:42", price_paid=9900)
    db.session.commit()

    assert refused == [] and set(done) == {again.id}
    codes = pack_codes(db, again.id)
    assert sorted(c.template_id for c in codes) == sorted([shop["coffee"].id] * 2 + [shop["cash"].id])
    assert {c.channel for c in codes} == {"purchase"} and {c.member_id for c in codes} == {member_id}
    assert db.session.scalar(select(func.count(CouponCode.id))) == 3
    assert db.session.get(CardTemplate, template_id).stock_issued == 1


def test_is_a_key_reused_for_another_member_refused(db, make, shop):
    template = card_template(db, shop)
    first, second = make.member(shop["merchant"]), make.member(shop["merchant"])
    benefit_issue.issue(db.session, shop["merchant"], template.id, first.id, channel="staff", key="k:1")
    with pytest.raises(Conflict, match="幂等键"):
        benefit_issue.issue(db.session, shop["merchant"], template.id, second.id, channel="staff", key="k:1")


def test_does_a_free_card_grant_its_pack_under_the_claim_channel(db, make, shop):
    template = card_template(db, shop, price=None)
    member = make.member(shop["merchant"])
    card = benefit_issue.issue(db.session, shop["merchant"], template.id, member.id, channel="poster_qr", key="f:1")
    assert card.price_paid is None and card.channel == "poster_qr"
    assert {c.channel for c in pack_codes(db, card.id)} == {"poster_qr"}


def test_does_a_refund_with_take_back_void_only_the_unused_pack_coupons(db, make, shop):
    template = card_template(db, shop)
    member = make.member(shop["merchant"])
    other = coupon_issue.claim(db.session, shop["merchant"], shop["coffee"].id, member.id, channel="h5", key="own:1")
    card = benefit_issue.issue(db.session, shop["merchant"], template.id, member.id, channel="staff", key="b:1",
                               price_paid=9900)
    used = pack_codes(db, card.id)[0]
    till_codes.verify(db.session, shop["owner"], used.code, store_id=shop["store"].id, method="manual", key="v:1")
    db.session.commit()

    row = benefit_refunds.refund(db.session, shop["owner"], card.id, with_money=True, amount=5000,
                                 take_back_coupons=True, reason="顾客搬家", key="r:1")
    db.session.commit()

    assert (row.with_money, row.amount, row.coupons_taken_back, row.reason) == (True, 5000, 2, "顾客搬家")
    states = {c.id: c.state for c in pack_codes(db, card.id)}
    assert states.pop(used.id) == code_rules.USED
    assert set(states.values()) == {code_rules.VOIDED}
    assert db.session.get(CouponCode, other.id).state == code_rules.AVAILABLE
    assert db.session.get(Card, card.id).state == card_rules.REFUNDED


def test_does_a_refund_without_take_back_leave_the_pack_coupons_alone(db, make, shop):
    template = card_template(db, shop)
    member = make.member(shop["merchant"])
    card = benefit_issue.issue(db.session, shop["merchant"], template.id, member.id, channel="staff", key="b:2")
    row = benefit_refunds.refund(db.session, shop["owner"], card.id, with_money=False, amount=0,
                                 take_back_coupons=False, reason=None, key="r:2")
    assert (row.with_money, row.amount, row.coupons_taken_back) == (False, 0, 0)
    assert {c.state for c in pack_codes(db, card.id)} == {code_rules.AVAILABLE}


def test_is_a_second_refund_of_the_same_card_refused_but_a_retry_replays(db, make, shop):
    template = card_template(db, shop, gift_pack=[])
    member = make.member(shop["merchant"])
    card = benefit_issue.issue(db.session, shop["merchant"], template.id, member.id, channel="staff", key="b:3",
                               price_paid=9900)
    first = benefit_refunds.refund(db.session, shop["owner"], card.id, with_money=True, amount=9900,
                                   take_back_coupons=False, reason="", key="r:3")
    replay = benefit_refunds.refund(db.session, shop["owner"], card.id, with_money=True, amount=9900,
                                    take_back_coupons=False, reason="", key="r:3")
    assert replay.id == first.id
    with pytest.raises(Conflict, match="已退卡"):
        benefit_refunds.refund(db.session, shop["owner"], card.id, with_money=False, amount=0,
                               take_back_coupons=False, reason="", key="r:4")
    assert db.session.scalar(select(func.count(CardRefund.id))) == 1


def test_do_concurrent_refunds_of_one_card_record_exactly_one(app, db, make, shop):
    template = card_template(db, shop)
    member = make.member(shop["merchant"])
    card_id = benefit_issue.issue(db.session, shop["merchant"], template.id, member.id, channel="staff",
                                  key="b:5", price_paid=9900).id
    owner_id = shop["owner"].id
    db.session.commit()

    def take_back(session, index):
        from models import Staff

        return benefit_refunds.refund(session, session.get(Staff, owner_id), card_id, with_money=False, amount=0,
                                      take_back_coupons=True, reason="", key=f"r:c:{index}").id

    done, refused = run_concurrently(app, 10, take_back)
    assert len(done) == 1 and len(refused) == 9
    db.session.expire_all()
    assert db.session.scalar(select(func.count(CardRefund.id))) == 1
    assert db.session.scalar(select(CardRefund.coupons_taken_back)) == 3


def test_may_a_cashier_refund_a_card(db, make, shop):
    template = card_template(db, shop)
    member = make.member(shop["merchant"])
    cashier = make.staff(shop["merchant"], role="cashier", stores_=[shop["store"]])
    card = benefit_issue.issue(db.session, shop["merchant"], template.id, member.id, channel="staff", key="b:6")
    with pytest.raises(PermissionDenied):
        benefit_refunds.refund(db.session, cashier, card.id, with_money=False, amount=0, take_back_coupons=False,
                               reason="", key="r:6")


def test_is_a_refund_above_the_price_paid_refused_with_nothing_changed(db, make, shop):
    template = card_template(db, shop)
    member = make.member(shop["merchant"])
    card = benefit_issue.issue(db.session, shop["merchant"], template.id, member.id, channel="staff", key="b:7",
                               price_paid=9900)
    with pytest.raises(DomainError, match="实付金额"):
        benefit_refunds.refund(db.session, shop["owner"], card.id, with_money=True, amount=9901,
                               take_back_coupons=True, reason="", key="r:7")
    db.session.expire_all()
    assert db.session.get(Card, card.id).state == card_rules.ACTIVE


def test_does_a_disabled_or_delisted_template_refuse_to_issue(db, make, shop):
    template = card_template(db, shop)
    member = make.member(shop["merchant"])
    benefit_templates.disable(db.session, shop["owner"], template.id)
    with pytest.raises(Conflict, match="已停用"):
        benefit_issue.issue(db.session, shop["merchant"], template.id, member.id, channel="staff", key="d:1")
    benefit_templates.enable(db.session, shop["owner"], template.id)
    benefit_templates.delist_template(db.session, shop["owner"], template.id)
    with pytest.raises(Conflict, match="已售罄"):
        benefit_issue.issue(db.session, shop["merchant"], template.id, member.id, channel="staff", key="d:2")
    benefit_templates.list_template(db.session, shop["owner"], template.id)
    assert benefit_issue.issue(db.session, shop["merchant"], template.id, member.id, channel="staff", key="d:3")


def test_does_a_second_purchase_extend_from_the_current_end(db, make, shop):
    template = card_template(db, shop, gift_pack=[])
    member = make.member(shop["merchant"])
    start = now_utc()
    first = benefit_issue.issue(db.session, shop["merchant"], template.id, member.id, channel="staff", key="e:1",
                                price_paid=9900, now=start)
    later = start + timedelta(days=25)
    second = benefit_issue.issue(db.session, shop["merchant"], template.id, member.id, channel="staff", key="e:2",
                                 price_paid=9900, now=later)
    db.session.expire_all()
    first, second = db.session.get(Card, first.id), db.session.get(Card, second.id)
    assert second.ends_at == start + timedelta(days=60)
    assert (first.state, first.extended_into_id) == (card_rules.VOIDED, second.id)
    assert benefit_texts.state_text(first) == "已续期至新卡"
    running = db.session.scalars(select(Card).where(Card.member_id == member.id, Card.state == "active")).all()
    assert [c.id for c in running] == [second.id]


def test_is_a_second_claim_of_a_free_card_refused(db, make, shop):
    template = card_template(db, shop, price=None, gift_pack=[])
    member = make.member(shop["merchant"])
    benefit_issue.issue(db.session, shop["merchant"], template.id, member.id, channel="h5", key="c:1")
    with pytest.raises(Conflict, match="已领取"):
        benefit_issue.issue(db.session, shop["merchant"], template.id, member.id, channel="h5", key="c:2")


def test_does_a_sold_out_pack_coupon_stop_the_issue_with_nothing_granted(db, make, shop):
    scarce = coupon_templates.save_template(db.session, shop["owner"], None, kind="cash", title="稀缺券", amount_off=500,
                                            validity_mode="relative", valid_days=30, stock_total=1)
    template = card_template(db, shop, gift_pack=[{"template_id": scarce.id, "count": 2}])
    member = make.member(shop["merchant"])
    db.session.commit()
    with pytest.raises(Conflict, match="稀缺券"):
        benefit_issue.issue(db.session, shop["merchant"], template.id, member.id, channel="staff", key="s:1")
    db.session.rollback()
    assert db.session.scalar(select(func.count(Card.id))) == 0
    assert db.session.scalar(select(func.count(CouponCode.id))) == 0


def test_are_benefits_in_force_only_until_the_card_ends(db, make, shop):
    template = card_template(db, shop, gift_pack=[])
    weaker = card_template(db, shop, title="白银权益卡", discount_percent=95, points_multiplier=300, free_items=["打蜡"],
                           valid_days=60)
    member = make.member(shop["merchant"])
    start = now_utc()
    benefit_issue.issue(db.session, shop["merchant"], template.id, member.id, channel="staff", key="a:1", now=start)
    benefit_issue.issue(db.session, shop["merchant"], weaker.id, member.id, channel="staff", key="a:2", now=start)

    during = benefit_in_force.active_benefits(db.session, member, start + timedelta(days=1))
    assert (during.discount_percent, during.points_multiplier) == (90, 300)
    assert set(during.free_items) == {"每月免费洗车 1 次", "打蜡"}
    after_first = benefit_in_force.active_benefits(db.session, member, start + timedelta(days=31))
    assert (after_first.discount_percent, after_first.free_items) == (95, ("打蜡",))
    assert benefit_in_force.active_benefits(db.session, member, start + timedelta(days=61)).empty


def test_does_a_refunded_card_stop_granting_benefits(db, make, shop):
    template = card_template(db, shop, gift_pack=[])
    member = make.member(shop["merchant"])
    card = benefit_issue.issue(db.session, shop["merchant"], template.id, member.id, channel="staff", key="x:1")
    assert not benefit_in_force.active_benefits(db.session, member).empty
    benefit_refunds.refund(db.session, shop["owner"], card.id, with_money=False, amount=0, take_back_coupons=False,
                           reason="", key="x:r")
    assert benefit_in_force.active_benefits(db.session, member).empty


def test_does_a_store_limited_card_give_no_benefits_in_another_store(db, make, shop):
    other_store = make.store(shop["merchant"], "西门店")
    template = card_template(db, shop, gift_pack=[], store_ids=[shop["store"].id])
    member = make.member(shop["merchant"])
    benefit_issue.issue(db.session, shop["merchant"], template.id, member.id, channel="staff", key="st:1")
    assert benefit_in_force.active_benefits(db.session, member, store_id=shop["store"].id).discount_percent == 90
    assert benefit_in_force.active_benefits(db.session, member, store_id=other_store.id).empty


def test_does_scanning_a_benefit_card_show_its_benefits_and_refuse_verification(db, make, shop):
    template = card_template(db, shop)
    member = make.member(shop["merchant"])
    card = benefit_issue.issue(db.session, shop["merchant"], template.id, member.id, channel="staff", key="i:1")
    db.session.commit()

    seen = instruments.lookup(db.session, shop["merchant"].id, card.code, shop["store"].id)
    assert (seen.kind, seen.title, seen.state_label) == ("benefit_card", "黄金权益卡", "生效中")
    details = dict(seen.details)
    assert details["折扣"] == "9折" and details["积分"] == "2倍积分" and "咖啡兑换券 ×2" in details["礼包"]
    assert "收银结账" in seen.reason
    with pytest.raises(Conflict, match="收银结账"):
        instruments.verify(db.session, shop["owner"], card.code, store_id=shop["store"].id, method="manual",
                           key="iv:1")
    held = instruments.held_by(db.session, member, shop["store"].id)
    assert "benefit_card" in {h.kind for h in held}


def test_is_another_merchants_template_card_or_coupon_out_of_reach(db, make, shop):
    template = card_template(db, shop)
    member = make.member(shop["merchant"])
    card = benefit_issue.issue(db.session, shop["merchant"], template.id, member.id, channel="staff", key="t:1")
    other = make.merchant()
    other_owner = make.staff(other, role="owner")
    other_member = make.member(other)
    with pytest.raises(NotFound):
        benefit_issue.issue(db.session, other, template.id, other_member.id, channel="staff", key="t:2")
    with pytest.raises(NotFound):
        benefit_issue.issue(db.session, shop["merchant"], template.id, other_member.id, channel="staff", key="t:3")
    with pytest.raises(NotFound):
        benefit_refunds.refund(db.session, other_owner, card.id, with_money=False, amount=0, take_back_coupons=True,
                               reason="", key="t:4")
    with pytest.raises(NotFound):
        benefit_templates.disable(db.session, other_owner, template.id)
    with pytest.raises(NotFound):
        benefit_templates.save_template(db.session, other_owner, None, title="偷券", discount_percent=90,
                                        gift_pack=[{"template_id": shop["coffee"].id, "count": 1}])
    with pytest.raises(NotFound):
        instruments.lookup(db.session, other.id, card.code, None)


def test_is_a_template_without_any_benefit_refused(db, shop):
    with pytest.raises(DomainError, match="至少设置一项权益"):
        benefit_templates.save_template(db.session, shop["owner"], None, title="空卡", points_multiplier=100)
