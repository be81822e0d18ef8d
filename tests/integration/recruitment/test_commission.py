"""Commission (业务员提成) against PostgreSQL: a new member's fee, the share of top-ups and card sales a staff member
brought in, a guide's share of their members' spending inside the rule's days, refunds taking back their share
(never more than was earned, once per refund), nothing when the rule is off, and never for another merchant's staff."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from channels import payment_channels
from domain import roles
from domain.errors import DomainError, PermissionDenied
from domain.orders import Expected
from models import AuditLog, Order
from models.commission import CommissionEntry
from services.cards import benefit_refunds, benefit_templates, count_timed_templates
from services.coupons import templates as coupon_templates
from services.members import join as member_join
from services.orders import orders, refund_results, refunds, settlement
from services.recruitment import attribution, commission, commission_rules, joining
from services.till import checkout
from tests.integration.recruitment.commission_world import RULE, commission_shop

pytestmark = pytest.mark.usefixtures("fake_channel")  # refunds succeed at once (conftest.py)


@pytest.fixture()
def shop(db, make):
    world = commission_shop(db, make, "提成测试店", "c", "13900000001")
    cashier = make.staff(world["merchant"], role=roles.CASHIER, username="c-cashier", stores_=[world["store"]])
    other = make.merchant(name="别家店")
    stranger = make.staff(other, role=roles.GUIDE, username="c-stranger")
    db.session.commit()
    return dict(world, cashier=cashier, other=other, stranger=stranger)


def entries(db, merchant_id=None):
    db.session.expire_all()
    query = select(CommissionEntry).order_by(CommissionEntry.id)
    if merchant_id is not None:
        query = query.where(CommissionEntry.merchant_id == merchant_id)
    return db.session.scalars(query).all()


def earned_total(db, staff_id):
    return db.session.scalar(select(func.coalesce(func.sum(CommissionEntry.amount), 0))
                             .where(CommissionEntry.staff_id == staff_id))


def paid_order(db, shop, kind, amount, items, key, staff=None):
    order = orders.create(db.session, shop["merchant"], shop["member"].id, kind=kind, channel="wechat",
                          amount=amount, description="购买", items=items, key=key)
    order.staff_id = staff.id if staff is not None else None  # the staff member behind the link or at the counter
    db.session.flush()
    settlement.record_payment(db.session, shop["merchant"], order, amount=amount, currency="CNY", app_id="wx",
                              merchant_no="m", channel_trade_no="T" + key, payer="o",
                              expected=Expected(amount, "CNY", "wx", "m"))
    db.session.commit()
    return db.session.get(Order, order.id)


def topup_order(db, shop, amount=10000, key="topup-1", staff="guide"):
    return paid_order(db, shop, "topup", amount, {"principal": amount, "bonus": 0}, key,
                      staff=shop[staff] if staff else None)


def count_card_order(db, shop, key="card-1", price=10000, staff="guide"):
    template = count_timed_templates.save_template(db.session, shop["owner"], None, kind="count", title="洗车十次卡",
                                                   service_name="精洗", uses=10, price=price)
    return paid_order(db, shop, "count_card", price, {"template_id": template.id}, key, staff=shop[staff])


def join(db, shop, mobile, staff):
    member, _created = member_join.create_or_reuse(db.session, shop["merchant"], mobile, member_join.Profile())
    joining.after_join(db.session, shop["merchant"], member,
                       attribution.Touch(staff_id=staff.id if staff else None, store_id=shop["store"].id))
    db.session.commit()
    return member


def guided(db, shop, bound_days_ago, member=None):
    member = member or shop["member"]
    member.guide_id, member.guide_bound_at = shop["guide"].id, datetime.now(timezone.utc) - timedelta(days=bound_days_ago)
    db.session.commit()
    return member


def till_pay(db, shop, amount, key="till-1", member=None):
    made = checkout.pay(db.session, shop["merchant"], shop["cashier"], store_id=shop["store"].id,
                        member_id=(member or shop["member"]).id, amount=amount, tender="cash", choice=None,
                        seed="s", key=key)
    db.session.commit()
    return made


# --- earning ------------------------------------------------------------------------------------------------------

def test_does_a_member_who_joins_through_a_staff_member_earn_them_the_fee_once(db, shop):
    member = join(db, shop, "13900000011", shop["guide"])
    joining.after_join(db.session, shop["merchant"], member, attribution.Touch(staff_id=shop["guide"].id))
    db.session.commit()

    [entry] = entries(db)
    assert (entry.staff_id, entry.kind, entry.amount, entry.member_id) == (shop["guide"].id, "new_member", 500, member.id)
    assert entry.key == f"commission:join:{member.id}"


def test_does_a_join_without_staff_or_through_someone_who_left_or_another_merchants_staff_earn_nothing(db, shop):
    join(db, shop, "13900000012", None)
    shop["cashier"].active = False
    db.session.commit()
    join(db, shop, "13900000013", shop["cashier"])
    member = join(db, shop, "13900000014", shop["stranger"])
    assert entries(db) == []
    assert commission.for_join(db.session, shop["merchant"], member,
                               attribution.Touch(staff_id=shop["stranger"].id)) is None


def test_does_a_top_up_brought_by_staff_earn_the_top_up_rate_of_the_principal(db, shop):
    order = topup_order(db, shop, 10000)
    [entry] = entries(db)
    assert (entry.kind, entry.amount, entry.base_amount, entry.rate_bp) == ("topup", 200, 10000, 200)
    assert (entry.staff_id, entry.reference_kind, entry.reference_id) == (shop["guide"].id, "order", order.id)
    assert entry.key == f"commission:order:{order.id}"


def test_does_a_card_sale_earn_the_card_rate_and_a_coupon_or_unattributed_order_nothing(db, shop):
    card = count_card_order(db, shop, price=8800)
    topup_order(db, shop, 5000, key="nobody", staff=None)
    coupon = coupon_templates.save_template(db.session, shop["owner"], None, kind="cash", title="五元券", amount_off=500,
                                            validity_mode="relative", valid_days=30)
    paid_order(db, shop, "coupon", 1000, {"template_id": coupon.id, "quantity": 2, "unit_price": 500}, "coupon",
               staff=shop["guide"])
    [entry] = entries(db)
    assert (entry.kind, entry.amount, entry.base_amount, entry.reference_id) == ("card_sale", 264, 8800, card.id)


def test_does_an_order_credited_to_another_merchants_staff_earn_nobody_anything(db, shop):
    topup_order(db, shop, staff="stranger")
    assert entries(db) == []


def test_does_a_guided_member_earn_their_guide_a_share_inside_the_days_and_nothing_after(db, shop):
    guided(db, shop, bound_days_ago=29)
    inside = till_pay(db, shop, 10000, key="inside")
    [entry] = entries(db)
    assert (entry.staff_id, entry.kind, entry.amount, entry.base_amount) == (shop["guide"].id, "guided_spend", 150, 10000)
    assert (entry.reference_kind, entry.reference_id) == ("checkout", inside.id)

    guided(db, shop, bound_days_ago=31)
    till_pay(db, shop, 10000, key="outside")
    assert len(entries(db)) == 1


def test_does_a_guide_who_left_or_a_member_bound_before_the_dates_were_kept_earn_nothing(db, shop):
    member = guided(db, shop, bound_days_ago=1)
    member.guide_bound_at = None
    db.session.commit()
    till_pay(db, shop, 10000, key="no-date")
    guided(db, shop, bound_days_ago=1)
    shop["guide"].active = False
    db.session.commit()
    till_pay(db, shop, 10000, key="left")
    assert entries(db) == []


def test_does_a_disabled_rule_earn_nothing_anywhere(db, shop):
    commission_rules.save(db.session, shop["owner"], **{**RULE, "enabled": False})
    db.session.commit()
    join(db, shop, "13900000021", shop["guide"])
    topup_order(db, shop)
    count_card_order(db, shop)
    guided(db, shop, bound_days_ago=1)
    till_pay(db, shop, 10000)
    assert entries(db) == []


def test_is_a_new_rule_read_at_once_by_the_process_that_saved_it(db, shop):
    topup_order(db, shop, 10000, key="before")
    commission_rules.save(db.session, shop["owner"], **{**RULE, "topup_bp": 1000})
    db.session.commit()
    topup_order(db, shop, 10000, key="after")
    assert [e.amount for e in entries(db)] == [200, 1000]


# --- refunds ------------------------------------------------------------------------------------------------------

def refund_order(db, shop, order, amount, key):
    record = refunds.refund_order(db.session, shop["owner"], order.id, amount, reason="顾客要求", key=key)
    db.session.commit()
    return record


def test_do_partial_order_refunds_take_back_their_share_and_the_last_one_the_rest(db, shop):
    order = count_card_order(db, shop, price=10001)  # 3% of 10001 is 300 fen
    topup = topup_order(db, shop, 10001, key="topup-odd")  # 2% is 200 fen
    parts = [refund_order(db, shop, topup, amount, f"rf:{n}") for n, amount in enumerate((3333, 3333, 3335))]
    reversals = [e for e in entries(db) if e.kind == "reversal"]
    assert [e.amount for e in reversals] == [-66, -67, -67]
    assert [e.key for e in reversals] == [f"commission:refund:order:{p.id}" for p in parts]
    assert {e.reference_id for e in reversals} == {topup.id}

    refund_order(db, shop, order, 10001, "card-all")
    assert earned_total(db, shop["guide"].id) == 0


def benefit_card_order(db, shop, key, price=10000):
    template = benefit_templates.save_template(db.session, shop["owner"], None, title=f"权益卡{key}", price=price,
                                               valid_days=30, discount_percent=90)
    return paid_order(db, shop, "benefit_card", price, {"template_id": template.id}, key, staff=shop["guide"])


def test_does_a_benefit_card_taken_back_on_its_page_take_back_its_share_of_the_sale(db, shop):
    """Money handed back offline on the card's own page (退卡) takes back the card sale's commission in
    proportion; a card given by staff or taken back without money takes nothing."""
    order = benefit_card_order(db, shop, "benefit-page")
    assert earned_total(db, shop["guide"].id) == 300  # 3% of 10000
    record = benefit_refunds.refund(db.session, shop["owner"], order.fulfilment["card_id"], with_money=True,
                                    amount=4000, take_back_coupons=False, reason="顾客不要了", key="card-page:1")
    db.session.commit()
    reversal = entries(db)[-1]
    assert (reversal.kind, reversal.amount, reversal.key) == ("reversal", -120, f"commission:refund:card:{record.id}")
    assert (reversal.reference_kind, reversal.reference_id, reversal.staff_id) == ("order", order.id, shop["guide"].id)

    free = benefit_card_order(db, shop, "benefit-free")
    benefit_refunds.refund(db.session, shop["owner"], free.fulfilment["card_id"], with_money=False, amount=0,
                           take_back_coupons=False, reason="换卡", key="card-page:2")
    db.session.commit()
    assert earned_total(db, shop["guide"].id) == 300 - 120 + 300


def test_is_a_benefit_card_refunded_through_its_order_reversed_once(db, shop):
    order = benefit_card_order(db, shop, "benefit-order")
    refund_order(db, shop, order, 10000, "benefit-all")
    assert [(e.kind, e.amount) for e in entries(db)] == [("card_sale", 300), ("reversal", -300)]
    assert earned_total(db, shop["guide"].id) == 0


def test_is_a_repeated_refund_request_reversed_once_and_never_beyond_what_was_earned(db, shop):
    order = topup_order(db, shop, 10000)
    refund_order(db, shop, order, 5000, "rf:same")
    refund_order(db, shop, order, 5000, "rf:same")  # the same request again: the first refund, nothing new
    assert [e.amount for e in entries(db)] == [200, -100]

    # a reversal asked again for a refund already counted takes nothing more (the earning is the ceiling)
    record = refunds.refunds_of(db.session, shop["merchant"].id, order.id)[0]
    refund_order(db, shop, order, 5000, "rf:rest")
    assert commission.reverse_for_order_refund(db.session, db.session.get(Order, order.id), record) is None
    assert earned_total(db, shop["guide"].id) == 0


def test_does_a_refund_of_an_order_that_earned_nothing_write_nothing(db, shop):
    order = topup_order(db, shop, 10000, staff=None)
    refund_order(db, shop, order, 10000, "rf:plain")
    assert entries(db) == []


def test_do_till_refunds_take_back_the_guides_share_in_proportion(db, shop):
    guided(db, shop, bound_days_ago=2)
    made = till_pay(db, shop, 10000)
    half = checkout.refund(db.session, shop["owner"], made.id, 4000, reason="退一部分", key="tr1")
    db.session.commit()
    checkout.refund(db.session, shop["owner"], made.id, 4000, reason="退一部分", key="tr1")  # a retry
    db.session.commit()
    rest = checkout.refund(db.session, shop["owner"], made.id, 6000, reason="退剩余", key="tr2")
    db.session.commit()
    assert [(e.kind, e.amount) for e in entries(db)] == [("guided_spend", 150), ("reversal", -60), ("reversal", -90)]
    assert [e.key for e in entries(db)][1:] == [f"commission:refund:checkout:{half.id}",
                                                f"commission:refund:checkout:{rest.id}"]
    assert earned_total(db, shop["guide"].id) == 0


# --- the rule -----------------------------------------------------------------------------------------------------

def test_is_the_rule_saved_by_an_owner_audited_and_refused_to_a_guide(db, shop):
    with pytest.raises(PermissionDenied):
        commission_rules.save(db.session, shop["guide"], **RULE)
    commission_rules.save(db.session, shop["owner"], **{**RULE, "topup_bp": 250})
    db.session.commit()
    audits = db.session.scalars(select(AuditLog).where(AuditLog.action == "commission.rule")
                                .order_by(AuditLog.id)).all()
    assert audits[-1].before == {"topup_bp": 200} and audits[-1].after == {"topup_bp": 250}
    assert audits[0].after["per_new_member"] == 500 and audits[0].before is None


@pytest.mark.parametrize("change, field", [
    ({"topup_bp": 10001}, "topup_bp"), ({"per_new_member": -1}, "per_new_member"),
    ({"guided_spend_days": 0}, "guided_spend_days"), ({"card_sale_bp": "3"}, "card_sale_bp"),
    ({"per_new_member": 1_000_001}, "per_new_member"), ({"guided_spend_days": 4000}, "guided_spend_days"),
])
def test_is_a_rule_out_of_bounds_refused_naming_its_field_and_nothing_saved(db, shop, change, field):
    with pytest.raises(DomainError) as refused:
        commission_rules.save(db.session, shop["owner"], **{**RULE, **change})
    assert refused.value.details.get("field") == field
    db.session.rollback()
    assert commission_rules.rule_row(db.session, shop["merchant"].id).topup_bp == 200


def test_does_a_top_up_refund_the_channel_failed_give_the_staff_their_share_back(db, shop, monkeypatch):
    class ProcessingChannel:
        @staticmethod
        def refund(merchant, order, amount, out_refund_no, reason):
            return {"refund_id": f"CH{out_refund_no}", "status": "processing"}

    order = topup_order(db, shop, 10000)
    monkeypatch.setattr(payment_channels, "channel_for", lambda channel: ProcessingChannel)
    record = refund_order(db, shop, order, 5000, "rf:stuck")
    assert earned_total(db, shop["guide"].id) == 100  # taken back while the refund is under way

    refund_results.settle(db.session, record, False, reason="微信支付退款已关闭")
    refund_results.settle(db.session, record, False, reason="微信支付退款已关闭")  # the notification again
    db.session.commit()
    assert earned_total(db, shop["guide"].id) == 200  # the money stayed with the member: the top-up stands
    assert [e.amount for e in entries(db)] == [200, -100, 100]
