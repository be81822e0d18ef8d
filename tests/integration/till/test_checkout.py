"""The till's checkout against PostgreSQL: pricing from the database, one transaction per payment, refunds."""
import pytest
from sqlalchemy import func, select

from domain import pricing
from domain.clock import local_today, now_utc
from domain.errors import Conflict, DomainError, InsufficientBalance, NotFound
from models import CouponCode, Member, PointsMultiplierDay, PointsTransaction, Verification, Wallet
from models.checkout import Checkout
from services.till import checkout, settings as checkout_settings
from services.coupons import issue as coupon_issue, templates as coupon_templates
from services.cards import physical as member_cards
from services.members import members
from services.wallet import journal as wallet
from tests.integration.helpers import run_concurrently


@pytest.fixture()
def shop(db, make):
    merchant = make.merchant()
    store = make.store(merchant)
    owner = make.staff(merchant, role="owner")
    member = make.member(merchant)
    db.session.commit()
    return dict(merchant=merchant, store=store, owner=owner, member=member)


def configure(db, merchant, **values):
    settings = checkout_settings.settings_of(db.session, merchant.id)
    for name, value in values.items():
        setattr(settings, name, value)
    db.session.flush()
    return settings


def give_coupon(db, shop, member=None, **values):
    template_values = {"kind": "discount", "title": "8折券", "discount_percent": 80, "min_spend": 10000,
                       "validity_mode": "relative", "valid_days": 30, **values}
    template = coupon_templates.save_template(db.session, shop["owner"], None, **template_values)
    member = member or shop["member"]
    return coupon_issue.claim(db.session, shop["merchant"], template.id, member.id, channel="h5",
                              key=f"give:{template.id}:{member.id}")


def top_up(db, shop, principal, member=None):
    member = member or shop["member"]
    purse = wallet.member_wallet(db.session, shop["merchant"].id, member.id)
    wallet.credit(db.session, shop["merchant"].id, purse.id, principal, key=f"topup:{member.id}:{principal}")
    return purse


def pay(db, shop, amount, *, key="till-1", tender="cash", choice=None, member_id=..., now=None):
    return checkout.pay(db.session, shop["merchant"], shop["owner"], store_id=shop["store"].id,
                        member_id=shop["member"].id if member_id is ... else member_id, amount=amount,
                        tender=tender, choice=choice, seed="order-1", key=key, now=now)


def quote(db, shop, amount, *, tender="cash", choice=None, member_id=...):
    return checkout.quote(db.session, shop["merchant"], shop["owner"], store_id=shop["store"].id,
                          member_id=shop["member"].id if member_id is ... else member_id, amount=amount,
                          tender=tender, choice=choice, seed="order-1")


def shop_ids(shop):
    """(merchant, store, owner, member) ids, for threads that load their own rows."""
    return shop["merchant"].id, shop["store"].id, shop["owner"].id, shop["member"].id


def pay_in(session, ids, index, *, amount, choice=None):
    """A balance payment from a thread's own session (run_concurrently), keyed by the thread's index."""
    from models import Merchant, Staff

    merchant_id, store_id, owner_id, member_id = ids
    return checkout.pay(session, session.get(Merchant, merchant_id), session.get(Staff, owner_id),
                        store_id=store_id, member_id=member_id, amount=amount, tender="balance", choice=choice,
                        seed=f"s{index}", key=f"race-{index}")


def points_of(db, member_id):
    db.session.expire_all()
    return db.session.get(Member, member_id).points_balance


def test_does_a_100_yuan_order_with_an_80_percent_coupon_over_100_pay_80(db, shop):
    code = give_coupon(db, shop)
    db.session.commit()

    offered = quote(db, shop, 10000)
    assert offered.quote.pay == 8000 and offered.quote.coupon_ids == (code.id,)
    assert [s.kind for s in offered.quote.steps] == ["coupon"] and offered.refusal is None

    made = pay(db, shop, 10000)
    db.session.commit()
    assert (made.amount, made.discount, made.pay, made.coupon_code_ids) == (10000, 2000, 8000, [code.id])
    assert db.session.get(CouponCode, code.id).state == "used"
    record = db.session.scalars(select(Verification).where(Verification.coupon_code_id == code.id)).one()
    assert (record.store_id, record.amount_received, record.staff_id) == (shop["store"].id, 8000, shop["owner"].id)


def test_is_an_80_percent_coupon_not_offered_below_its_threshold(db, shop):
    give_coupon(db, shop)
    db.session.commit()
    assert quote(db, shop, 9999).quote.pay == 9999


def test_do_members_earn_double_points_on_a_configured_holiday(db, shop):
    merchant = shop["merchant"]
    configure(db, merchant, earn_per_yuan=1, earn_base="paid")
    today = local_today(merchant.timezone)
    db.session.add(PointsMultiplierDay(merchant_id=merchant.id, label="国庆", starts_on=today, ends_on=today,
                                       multiplier_tenths=20, active=True))
    db.session.commit()

    assert quote(db, shop, 10000).points_to_earn == 200
    made = pay(db, shop, 10000)
    db.session.commit()
    assert made.points_earned == 200 and points_of(db, shop["member"].id) == 200


def test_does_a_five_level_referral_give_each_referrer_ten_percent(db, make, shop):
    merchant = shop["merchant"]
    configure(db, merchant, earn_per_yuan=10, referral_levels=5, referral_percent=10)
    chain = [make.member(merchant) for _ in range(6)]  # chain[0] referred shop's member, chain[1] chain[0], ...
    shop["member"].referrer_id = chain[0].id
    for child, parent in zip(chain, chain[1:]):
        child.referrer_id = parent.id
    db.session.commit()

    made = pay(db, shop, 10000)
    db.session.commit()
    assert made.points_earned == 1000
    assert [points_of(db, m.id) for m in chain] == [100, 100, 100, 100, 100, 0]  # five levels, not six
    kinds = db.session.scalars(select(PointsTransaction.kind).where(PointsTransaction.member_id == chain[0].id)).all()
    assert kinds == ["referral"]


def test_does_only_one_of_two_concurrent_payments_go_through_when_the_balance_covers_one(app, db, shop):
    top_up(db, shop, 10000)
    db.session.commit()
    ids = shop_ids(shop)
    member_id = ids[3]

    def spend(session, index):
        return pay_in(session, ids, index, amount=8000).id

    done, refused = run_concurrently(app, 2, spend)
    assert len(done) == 1 and len(refused) == 1
    assert isinstance(refused[0], InsufficientBalance) and "还差 ¥60.00" in refused[0].message
    db.session.expire_all()
    purse = db.session.scalars(select(Wallet).where(Wallet.member_id == member_id)).one()
    assert purse.principal + purse.bonus == 2000
    assert db.session.scalar(select(func.count(Checkout.id))) == 1


def test_does_a_retried_key_return_the_same_checkout_and_change_nothing(db, shop):
    configure(db, shop["merchant"], earn_per_yuan=1)
    top_up(db, shop, 10000)
    db.session.commit()
    first = pay(db, shop, 3000, tender="balance")
    db.session.commit()
    again = pay(db, shop, 3000, tender="balance")
    db.session.commit()
    assert again.id == first.id
    member = db.session.get(Member, shop["member"].id)
    assert (member.visit_count, member.total_spend, member.points_balance) == (1, 3000, 30)
    purse = db.session.scalars(select(Wallet).where(Wallet.member_id == member.id)).one()
    assert purse.principal == 7000
    with pytest.raises(Conflict):
        pay(db, shop, 5000, tender="balance")  # the same key for another payment


def test_does_a_refund_reverse_each_part_in_proportion(db, shop):
    merchant, member = shop["merchant"], shop["member"]
    configure(db, merchant, earn_per_yuan=1, points_per_yuan=100, points_max_percent=50, coupons_with_points=True)
    code = give_coupon(db, shop, kind="cash", title="满50减10", amount_off=1000, min_spend=5000,
                       discount_percent=None)
    purse = top_up(db, shop, 20000)
    from services.points import ledger as points

    points.earn(db.session, merchant, member.id, 1000, key="seed-points")
    db.session.commit()

    made = pay(db, shop, 10000, tender="balance", choice=pricing.Choice(coupon_ids=(code.id,), points=1000))
    db.session.commit()
    assert (made.pay, made.points_used, made.balance_paid, made.points_earned) == (8000, 1000, 8000, 80)
    assert points_of(db, member.id) == 80

    half = checkout.refund(db.session, shop["owner"], made.id, 4000, reason="退一半", key="r1")
    db.session.commit()
    assert (half.balance_back, half.points_back, half.points_taken_back, half.coupons_restored) == (4000, 500, 40, [])
    rest = checkout.refund(db.session, shop["owner"], made.id, 4000, reason="退剩余", key="r2")
    db.session.commit()
    assert (rest.balance_back, rest.points_back, rest.points_taken_back, rest.coupons_restored) == (4000, 500, 40,
                                                                                                   [code.id])
    db.session.expire_all()
    assert db.session.get(Wallet, purse.id).principal == 20000
    assert points_of(db, member.id) == 1000
    assert db.session.get(CouponCode, code.id).state == "available"
    assert db.session.get(Checkout, made.id).state == "refunded"
    with pytest.raises(Conflict, match="超过可退金额"):
        checkout.refund(db.session, shop["owner"], made.id, 1, reason="再退", key="r3")


def test_do_two_refunds_at_once_never_give_back_more_than_was_paid(app, db, shop):
    made = pay(db, shop, 10000)
    db.session.commit()
    owner_id, checkout_id = shop["owner"].id, made.id

    def give_back(session, index):
        from models import Staff

        return checkout.refund(session, session.get(Staff, owner_id), checkout_id, 6000, reason="退款",
                               key=f"refund-{index}").id

    done, refused = run_concurrently(app, 2, give_back)
    assert len(done) == 1 and len(refused) == 1 and "超过可退金额" in refused[0].message
    db.session.expire_all()
    assert db.session.get(Checkout, checkout_id).refunded_amount == 6000


def test_is_an_earned_point_already_spent_said_in_not_reversed(db, shop):
    configure(db, shop["merchant"], earn_per_yuan=1)
    made = pay(db, shop, 10000)
    db.session.commit()
    from services.points import ledger as points

    points.spend(db.session, shop["merchant"], shop["member"].id, 70, key="spent")
    back = checkout.refund(db.session, shop["owner"], made.id, 10000, reason="退货", key="r")
    assert back.points_taken_back == 30 and "70 分未能收回" in back.not_reversed[0]


def test_is_a_cashier_refused_a_refund(db, make, shop):
    made = pay(db, shop, 1000)
    cashier = make.staff(shop["merchant"], role="cashier", stores_=[shop["store"]])
    with pytest.raises(DomainError, match="店主或管理员"):
        checkout.refund(db.session, cashier, made.id, 1000, reason="x", key="r")


def test_is_a_frozen_wallet_refused_with_the_reason(db, shop):
    purse = top_up(db, shop, 10000)
    wallet.set_frozen(db.session, shop["merchant"].id, purse.id, True, key="freeze")
    db.session.commit()
    assert "冻结" in quote(db, shop, 1000).refusal
    with pytest.raises(Conflict, match="冻结"):
        pay(db, shop, 1000)
    assert db.session.scalar(select(func.count(Checkout.id))) == 0


def test_is_a_lost_card_refused_with_the_reason(db, shop):
    card = members.bind_identity(db.session, shop["member"], "card_no", "88000001")
    member_cards.report_lost(db.session, shop["owner"], shop["member"], card.id, key="lost")
    db.session.commit()
    member, refusal = checkout.identify(db.session, shop["merchant"], "88000001")
    assert member.id == shop["member"].id and "挂失" in refusal
    with pytest.raises(Conflict, match="挂失"):
        pay(db, shop, 1000)


def test_is_another_merchants_member_or_coupon_refused(db, make, shop):
    other = make.merchant()
    stranger = make.member(other)
    theirs = give_coupon(db, dict(shop, merchant=other, owner=make.staff(other)), member=stranger)
    db.session.commit()
    with pytest.raises(NotFound):
        pay(db, shop, 10000, member_id=stranger.id)
    with pytest.raises(DomainError):
        pay(db, shop, 10000, choice=pricing.Choice(coupon_ids=(theirs.id,)))
    db.session.rollback()
    assert db.session.get(CouponCode, theirs.id).state == "available"
    assert db.session.scalar(select(func.count(Checkout.id))) == 0


def test_does_a_walk_in_pay_the_amount_without_discounts(db, shop):
    made = pay(db, shop, 1234, member_id=None)
    db.session.commit()
    assert (made.member_id, made.pay, made.points_earned) == (None, 1234, 0)
    with pytest.raises(Conflict, match="非会员"):
        pay(db, shop, 1234, member_id=None, tender="balance", key="k2")


def test_does_identify_find_a_member_by_mobile(db, shop):
    member, refusal = checkout.identify(db.session, shop["merchant"], shop["member"].mobile)
    assert member.id == shop["member"].id and refusal is None
    with pytest.raises(NotFound):
        checkout.identify(db.session, shop["merchant"], "13000000000")


def test_does_the_receipt_print_the_charged_steps(db, shop):
    give_coupon(db, shop)
    made = pay(db, shop, 10000)
    db.session.commit()
    printed = checkout.receipt(db.session, shop["merchant"].id, made.id)
    assert printed["pay"] == 8000 and printed["steps"][0]["kind"] == "coupon"
    assert printed["tender_label"] == "现金" and printed["member"]["id"] == shop["member"].id
    assert now_utc() >= printed["created_at"]


def test_does_identify_read_a_member_qr_token(app, db, shop):
    from services.members import qr as member_qr

    token = member_qr.issue(shop["member"])
    member, refusal = checkout.identify(db.session, shop["merchant"], token)
    assert member.id == shop["member"].id and refusal is None


def test_is_the_balance_discount_given_only_when_paying_by_balance(db, shop):
    from services.wallet import balance_discount

    balance_discount.save_rule(db.session, shop["owner"], None, min_balance=5000, discount_percent=90)
    top_up(db, shop, 20000)
    db.session.commit()
    by_balance = quote(db, shop, 10000, tender="balance")
    assert by_balance.quote.pay == 9000 and [s.kind for s in by_balance.quote.steps] == ["balance"]
    assert by_balance.balance == 20000 and by_balance.balance_short == 0
    assert quote(db, shop, 10000, tender="cash").quote.pay == 10000
    made = pay(db, shop, 10000, tender="balance")
    assert (made.pay, made.balance_paid) == (9000, 9000)


def test_does_a_refund_take_back_the_referrers_share_too(db, make, shop):
    configure(db, shop["merchant"], earn_per_yuan=10, referral_levels=1, referral_percent=10)
    referrer = make.member(shop["merchant"])
    shop["member"].referrer_id = referrer.id
    db.session.commit()
    made = pay(db, shop, 10000)
    db.session.commit()
    assert points_of(db, referrer.id) == 100
    back = checkout.refund(db.session, shop["owner"], made.id, 10000, reason="退货", key="r")
    db.session.commit()
    assert back.points_taken_back == 1000 and back.not_reversed == []
    assert points_of(db, referrer.id) == 0 and points_of(db, shop["member"].id) == 0


def test_does_quoting_again_keep_the_random_reduction_and_the_next_purchase_draw_anew(db, shop):
    configure(db, shop["merchant"], random_min=1, random_max=500)
    db.session.commit()

    def reduction():
        answer = checkout.quote(db.session, shop["merchant"], shop["owner"], store_id=shop["store"].id,
                                member_id=shop["member"].id, amount=10000, tender="cash", seed=None)
        return next(step.amount for step in answer.quote.steps if step.kind == "random")

    first = reduction()
    assert 1 <= first <= 500 and all(reduction() == first for _ in range(5))  # the cashier cannot re-draw
    seeds = {checkout.order_seed(shop["merchant"], shop["store"].id, shop["member"], 10000, now_utc())}
    made = checkout.pay(db.session, shop["merchant"], shop["owner"], store_id=shop["store"].id,
                        member_id=shop["member"].id, amount=10000, tender="cash", choice=None, seed=None,
                        key="till-random")
    db.session.commit()
    assert made.discount == first
    seeds.add(checkout.order_seed(shop["merchant"], shop["store"].id, shop["member"], 10000, now_utc()))
    assert len(seeds) == 2  # the member's next purchase today is a new draw
