"""Friend sharing against PostgreSQL: one friend wins, the giver loses the code, a received coupon cannot be shared."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from domain import coupons as rules
from domain.clock import now_utc
from domain.errors import Conflict, NotFound
from models import CouponCode, Merchant, Staff, Transfer
from services.coupons import issue as coupon_issue, sharing as coupon_sharing, templates as coupon_templates, till_codes
from tests.integration.helpers import run_concurrently


@pytest.fixture()
def shop(db, make):
    merchant = make.merchant()
    owner = make.staff(merchant, role="owner")
    store = make.store(merchant, "东门店")
    template = coupon_templates.save_template(db.session, owner, None, kind="cash", title="立减20", amount_off=2000,
                                              validity_mode="relative", valid_days=30, shareable=True)
    giver = make.member(merchant)
    code = coupon_issue.claim(db.session, merchant, template.id, giver.id, channel="h5", key="give:1")
    return dict(merchant=merchant, owner=owner, store=store, template=template, giver=giver, code=code)


def test_do_10_friends_accepting_one_link_at_once_get_exactly_one_code(app, db, make, shop):
    token = coupon_sharing.create_share(db.session, shop["merchant"], shop["giver"].id, shop["code"].id)
    friends = [make.member(shop["merchant"]).id for _ in range(10)]
    db.session.commit()
    merchant_id, old_id = shop["merchant"].id, shop["code"].id

    def accept(session, index):
        return coupon_sharing.accept(session, session.get(Merchant, merchant_id), token, friends[index]).id

    done, refused = run_concurrently(app, 10, accept)

    assert len(done) == 1 and len(refused) == 9
    assert all(e.message.startswith("该券已被好友领取") for e in refused)
    db.session.expire_all()
    old = db.session.get(CouponCode, old_id)
    new = db.session.get(CouponCode, done[0])
    assert old.state == rules.TRANSFERRED
    assert (new.channel, new.shared_from_id, new.state) == ("friend", old_id, rules.AVAILABLE)
    assert (new.starts_at, new.ends_at, new.template_id) == (old.starts_at, old.ends_at, old.template_id)
    assert new.code != old.code and new.member_id in friends
    transfer = db.session.scalars(select(Transfer)).one()
    assert transfer.accepted_by_id == new.member_id and transfer.new_coupon_code_id == new.id
    assert db.session.get(type(shop["template"]), shop["template"].id).stock_issued == 1, "sharing takes no stock"


def test_can_a_coupon_received_from_a_friend_be_shared_again(db, make, shop):
    friend = make.member(shop["merchant"])
    token = coupon_sharing.create_share(db.session, shop["merchant"], shop["giver"].id, shop["code"].id)
    received = coupon_sharing.accept(db.session, shop["merchant"], token, friend.id)
    with pytest.raises(Conflict, match="好友赠送的券不能再次转赠"):
        coupon_sharing.create_share(db.session, shop["merchant"], friend.id, received.id)


def test_is_a_template_that_is_not_shareable_refused(db, make, shop):
    plain = coupon_templates.save_template(db.session, shop["owner"], None, kind="cash", title="不可转赠", amount_off=500,
                                           validity_mode="relative", valid_days=7)
    code = coupon_issue.claim(db.session, shop["merchant"], plain.id, shop["giver"].id, channel="h5", key="plain:1")
    with pytest.raises(Conflict, match="该券不支持转赠"):
        coupon_sharing.create_share(db.session, shop["merchant"], shop["giver"].id, code.id)


def test_can_a_member_accept_their_own_link(db, shop):
    token = coupon_sharing.create_share(db.session, shop["merchant"], shop["giver"].id, shop["code"].id)
    with pytest.raises(Conflict, match="不能领取自己分享的券"):
        coupon_sharing.accept(db.session, shop["merchant"], token, shop["giver"].id)


def test_can_someone_else_share_a_code_they_do_not_hold(db, make, shop):
    with pytest.raises(NotFound):
        coupon_sharing.create_share(db.session, shop["merchant"], make.member(shop["merchant"]).id, shop["code"].id)


def test_does_a_cancelled_or_expired_link_stop_working(db, make, shop):
    friend = make.member(shop["merchant"])
    token = coupon_sharing.create_share(db.session, shop["merchant"], shop["giver"].id, shop["code"].id)
    assert coupon_sharing.cancel(db.session, shop["merchant"], shop["giver"].id, shop["code"].id) == 1
    with pytest.raises(Conflict, match="赠送已取消"):
        coupon_sharing.accept(db.session, shop["merchant"], token, friend.id)
    later = coupon_sharing.create_share(db.session, shop["merchant"], shop["giver"].id, shop["code"].id)
    with pytest.raises(Conflict, match="链接已过期"):
        coupon_sharing.accept(db.session, shop["merchant"], later, friend.id, now=now_utc() + timedelta(hours=25))
    assert db.session.get(CouponCode, shop["code"].id).state == rules.AVAILABLE


def test_does_a_new_link_replace_the_earlier_one(db, make, shop):
    friend = make.member(shop["merchant"])
    first = coupon_sharing.create_share(db.session, shop["merchant"], shop["giver"].id, shop["code"].id)
    coupon_sharing.create_share(db.session, shop["merchant"], shop["giver"].id, shop["code"].id)
    with pytest.raises(Conflict, match="赠送已取消"):
        coupon_sharing.accept(db.session, shop["merchant"], first, friend.id)


def test_does_a_code_used_at_the_till_make_the_link_fail_clearly(db, make, shop):
    friend = make.member(shop["merchant"])
    cashier = make.staff(shop["merchant"], role="cashier", stores_=[shop["store"]])
    token = coupon_sharing.create_share(db.session, shop["merchant"], shop["giver"].id, shop["code"].id)
    till_codes.verify(db.session, cashier, shop["code"].code, store_id=shop["store"].id, method="manual", key="v1")
    with pytest.raises(Conflict, match="该券已被使用或已失效，无法领取"):
        coupon_sharing.accept(db.session, shop["merchant"], token, friend.id)


def test_do_sharing_and_verifying_at_once_never_both_succeed(app, db, make, shop):
    store = shop["store"]
    cashier_id = make.staff(shop["merchant"], role="cashier", stores_=[store]).id
    merchant_id, store_id = shop["merchant"].id, store.id
    rounds = []
    for n in range(8):
        code = coupon_issue.claim(db.session, shop["merchant"], shop["template"].id, shop["giver"].id, channel="h5",
                                  key=f"race:{n}")
        token = coupon_sharing.create_share(db.session, shop["merchant"], shop["giver"].id, code.id)
        rounds.append((code.id, code.code, token, make.member(shop["merchant"]).id))
    db.session.commit()

    for code_id, typed, token, friend_id in rounds:
        def act(session, index):
            if index == 0:
                staff = session.get(Staff, cashier_id)
                return till_codes.verify(session, staff, typed, store_id=store_id, method="manual", key=f"rv:{code_id}")
            return coupon_sharing.accept(session, session.get(Merchant, merchant_id), token, friend_id)

        done, refused = run_concurrently(app, 2, act)
        assert len(done) == 1 and len(refused) == 1
        db.session.expire_all()
        state = db.session.get(CouponCode, code_id).state
        friends_codes = db.session.scalars(select(CouponCode).where(CouponCode.shared_from_id == code_id)).all()
        assert (state, len(friends_codes)) in ((rules.USED, 0), (rules.TRANSFERRED, 1))
