"""Referral rewards under real concurrency (threads, each with its own PostgreSQL connection): the same invitee
joining from several logins at once, and two first payments at once, reward the referrers once."""
from sqlalchemy import func, select

from models import CouponCode, Member, Merchant, ReferralReward, Staff
from services.members import join as member_join
from services.recruitment import sources
from services.recruitment.attribution import Touch
from services.till import checkout
from tests.integration.helpers import run_concurrently
from tests.integration.recruitment.test_referrals import (  # noqa: F401  (shop is a fixture)
    alipay, configure, coupon, join, referral_coupons, referral_points, shop, wechat)


def test_does_one_invitee_joining_from_four_logins_at_once_reward_the_referrer_once(app, db, shop):
    ticket = coupon(db, shop)
    configure(db, shop, join=[(100, ticket), (10, None)])
    top = join(db, shop, wechat(shop, "o-top"), "13900000200")
    inviter = join(db, shop, wechat(shop, "o-inviter"), "13900000201", via=top)
    source_id = sources.for_member(db.session, inviter).id
    db.session.commit()
    logins = [wechat(shop, f"o-race-{i}") for i in range(2)] + [alipay(shop, f"208800000000990{i}") for i in range(2)]

    def claim(session, index):
        merchant = session.get(Merchant, shop["merchant"].id)
        return member_join.join(session, merchant, logins[index], mobile="13900000202",
                                profile=member_join.Profile(), touch=Touch(source_id=source_id)).id

    results, errors = run_concurrently(app, len(logins), claim)
    assert not errors, [e.message for e in errors]
    assert len(set(results)) == 1
    db.session.expire_all()
    assert db.session.get(Member, results[0]).referrer_id == inviter.id
    assert referral_points(db, inviter) == 100 and referral_coupons(db, inviter) == 1
    assert referral_points(db, top) == 100 + 10  # the inviter's own join, then the friend's at level 2
    assert db.session.scalar(select(func.count(ReferralReward.id))
                             .where(ReferralReward.invitee_id == results[0])) == 2


def test_do_two_first_payments_at_once_at_the_till_reward_the_referrer_once(app, db, shop):
    ticket = coupon(db, shop, title="首单券")
    configure(db, shop, first_payment=[(50, ticket)])
    inviter = join(db, shop, wechat(shop, "o-pay-inviter"), "13900000211")
    friend = join(db, shop, wechat(shop, "o-pay-friend"), "13900000212", via=inviter)
    db.session.commit()
    ids = (shop["merchant"].id, shop["store"].id, shop["owner"].id, friend.id)

    def pay(session, index):
        merchant_id, store_id, owner_id, member_id = ids
        return checkout.pay(session, session.get(Merchant, merchant_id), session.get(Staff, owner_id),
                            store_id=store_id, member_id=member_id, amount=2000 + index, tender="cash",
                            choice=None, seed=f"s{index}", key=f"race-{index}").id

    results, errors = run_concurrently(app, 4, pay)
    assert not errors and len(set(results)) == 4
    db.session.expire_all()
    assert referral_points(db, inviter) == 50
    assert db.session.scalar(select(func.count(CouponCode.id)).where(CouponCode.member_id == inviter.id,
                                                                     CouponCode.template_id == ticket.id)) == 1
    assert db.session.get(Member, friend.id).visit_count == 4
