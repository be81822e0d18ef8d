"""支付后营销 and the receipt coupon QR applied at the till, against PostgreSQL."""
import pytest
from sqlalchemy import func, select

from domain.errors import Conflict
from models import AuditLog, CouponCode, Level, Member, PointsTransaction
from models.checkout import Checkout
from models.rewards import RewardGrant
from services.till import checkout, settings as checkout_settings
from services.coupons import templates as coupon_templates
from services.rewards import rules as reward_rules, after_payment as rewards
from tests.integration.helpers import run_concurrently


@pytest.fixture()
def shop(db, make):
    merchant = make.merchant()
    store, other_store = make.store(merchant), make.store(merchant)
    owner = make.staff(merchant, role="owner")
    member = make.member(merchant)
    checkout_settings.settings_of(db.session, merchant.id).earn_per_yuan = 0  # only the rewards' points count here
    db.session.commit()
    return dict(merchant=merchant, store=store, other_store=other_store, owner=owner, member=member)


def coupon_template(db, shop, title="满100减20"):
    return coupon_templates.save_template(db.session, shop["owner"], None, kind="cash", title=title, amount_off=2000,
                                          min_spend=10000, validity_mode="relative", valid_days=30)


def rule(db, shop, kind="post_payment", **values):
    values = {"name": "消费有礼", "min_paid": 0, "rewards": {"points": 10, "growth": 5}, **values}
    return reward_rules.save(db.session, shop["owner"], None, kind=kind, **values)


def pay(db, shop, amount, *, key="till-1", member_id=..., store=None):
    return checkout.pay(db.session, shop["merchant"], shop["owner"], store_id=(store or shop["store"]).id,
                        member_id=shop["member"].id if member_id is ... else member_id, amount=amount,
                        tender="cash", choice=None, seed="s", key=key)


def grants(db):
    return db.session.scalar(select(func.count(RewardGrant.id)))


def test_does_a_rule_give_its_points_and_growth_once_per_payment(db, shop):
    rule(db, shop)
    db.session.commit()
    made = pay(db, shop, 5000)
    db.session.commit()
    again = pay(db, shop, 5000)  # the same key: the same checkout, nothing given twice
    db.session.commit()
    assert again.id == made.id and grants(db) == 1
    member = db.session.get(Member, shop["member"].id)
    assert member.points_balance == 10 and member.growth == 5
    assert [line["kind"] for line in made.rewards] == ["granted"] and "10 积分" in made.rewards[0]["text"]


def test_does_a_wrong_store_level_or_amount_give_nothing(db, shop):
    gold = db.session.scalars(select(Level).where(Level.merchant_id == shop["merchant"].id,
                                                  Level.id != shop["member"].level_id)).first()
    rule(db, shop, min_paid=10000, all_stores=False, store_ids=[shop["store"].id])
    rule(db, shop, name="金卡专享", level_ids=[gold.id])
    db.session.commit()
    pay(db, shop, 9999, key="under")
    pay(db, shop, 20000, key="elsewhere", store=shop["other_store"])
    db.session.commit()
    assert grants(db) == 0 and db.session.get(Member, shop["member"].id).points_balance == 0


def test_do_the_per_store_and_overall_limits_hold_under_concurrency(app, db, shop):
    made = rule(db, shop, per_member_store_limit=2, per_member_limit=3)
    db.session.commit()
    ids = (shop["merchant"].id, shop["owner"].id, shop["member"].id, shop["store"].id, shop["other_store"].id)

    def spend(session, index):
        from models import Merchant, Staff

        store_id = ids[3] if index < 4 else ids[4]
        return checkout.pay(session, session.get(Merchant, ids[0]), session.get(Staff, ids[1]), store_id=store_id,
                            member_id=ids[2], amount=1000, tender="cash", choice=None, seed="s",
                            key=f"race-{index}").id

    done, refused = run_concurrently(app, 8, spend)
    assert len(done) == 8 and not refused
    db.session.expire_all()
    per_store = dict(db.session.execute(select(RewardGrant.store_id, func.count()).where(
        RewardGrant.rule_id == made.id).group_by(RewardGrant.store_id)).all())
    assert max(per_store.values()) == 2 and sum(per_store.values()) == 3  # which store got 2 depends on timing


def test_does_a_walk_in_get_a_claim_token_that_a_member_takes_once(db, shop):
    rule(db, shop, for_non_members=True)
    db.session.commit()
    made = pay(db, shop, 5000, member_id=None)
    db.session.commit()
    [line] = made.rewards
    assert line["kind"] == "claim" and "/rewards/claim/" in line["url"]
    token = line["url"].rsplit("/", 1)[1]
    grant = db.session.scalars(select(RewardGrant)).one()
    assert grant.state == "pending_claim" and grant.member_id is None and token not in grant.token_hash

    given = rewards.claim(db.session, shop["merchant"], token, shop["member"].id)
    db.session.commit()
    assert "10 积分" in given and db.session.get(Member, shop["member"].id).points_balance == 10
    with pytest.raises(Conflict, match="已领取"):
        rewards.claim(db.session, shop["merchant"], token, shop["member"].id)
    db.session.rollback()
    assert db.session.get(Member, shop["member"].id).points_balance == 10


def test_does_100_yuan_paid_with_a_receipt_coupon_rule_give_a_qr_and_99_not(db, shop):
    template = coupon_template(db, shop)
    rule(db, shop, kind="receipt_coupon", name="会员消费优惠券", min_paid=10000,
         rewards={"coupons": [{"template_id": template.id, "count": 1}]})
    db.session.commit()
    short = pay(db, shop, 9900, key="99")
    full = pay(db, shop, 10000, key="100")
    db.session.commit()
    assert short.rewards == [] and [line["kind"] for line in full.rewards] == ["claim"]
    token = full.rewards[0]["url"].rsplit("/", 1)[1]
    rewards.claim(db.session, shop["merchant"], token, shop["member"].id)
    db.session.commit()
    assert db.session.scalar(select(func.count(CouponCode.id)).where(CouponCode.template_id == template.id)) == 1


def test_do_concurrent_claims_of_one_token_give_once(app, db, shop):
    rule(db, shop, for_non_members=True)
    db.session.commit()
    token = pay(db, shop, 5000, member_id=None).rewards[0]["url"].rsplit("/", 1)[1]
    db.session.commit()
    merchant_id, member_id = shop["merchant"].id, shop["member"].id

    def take(session, index):
        from models import Merchant

        return rewards.claim(session, session.get(Merchant, merchant_id), token, member_id)

    done, refused = run_concurrently(app, 4, take)
    assert len(done) == 1 and len(refused) == 3
    db.session.expire_all()
    earned = db.session.scalar(select(func.sum(PointsTransaction.amount)).where(
        PointsTransaction.member_id == member_id))
    assert earned == 10


def test_does_a_refund_leave_the_rewards_and_is_the_checkout_row_keeping_them(db, shop):
    rule(db, shop)
    db.session.commit()
    made = pay(db, shop, 5000)
    db.session.commit()
    checkout.refund(db.session, shop["owner"], made.id, 5000, reason="退款", key="r1")
    db.session.commit()
    assert db.session.get(Checkout, made.id).rewards[0]["kind"] == "granted" and grants(db) == 1


def test_does_a_receipt_coupon_limit_count_the_payer_and_still_let_them_claim(db, shop):
    template = coupon_template(db, shop)
    rule(db, shop, kind="receipt_coupon", name="小票券", min_paid=100, per_member_limit=1,
         rewards={"coupons": [{"template_id": template.id, "count": 1}]})
    db.session.commit()
    first, second = pay(db, shop, 1000, key="a"), pay(db, shop, 1000, key="b")
    db.session.commit()
    assert len(first.rewards) == 1 and second.rewards == []
    token = first.rewards[0]["url"].rsplit("/", 1)[1]
    assert first.rewards[0]["text"] == "满100减20 ×1"
    assert rewards.claim(db.session, shop["merchant"], token, shop["member"].id) == "满100减20"
    db.session.commit()


def test_does_the_audit_log_keep_a_rule_without_dates_as_null_not_the_text_none(db, shop):
    saved = rule(db, shop)
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "reward_rule.save",
                                                     AuditLog.target_id == str(saved.id)))
    assert entry.after["starts_on"] is None and entry.after["ends_on"] is None
