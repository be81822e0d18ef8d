"""Member referrals (老会员推荐) against PostgreSQL: the invitee is recorded under the inviter, the chain is rewarded
once per invitee, event and level (never a fourth level), self-referrals give nothing and say why."""
import pytest
from sqlalchemy import func, select

from domain import roles
from domain.orders import Expected
from models import (CouponCode, Fan, Member, MemberIdentity, Merchant, NoticeDelivery, PointsTransaction,
                    ReferralReward)
from services.coupons import templates as coupon_templates
from services.members import join as member_join, members
from services.orders import card_sales, settlement
from services.recruitment import referral_lists, referral_settings, referrals, sources
from services.recruitment.attribution import Touch
from services.till import checkout

WECHAT_APP = "wx-referral-test"


@pytest.fixture()
def shop(db, make):
    merchant = make.merchant(wechat_app_id=WECHAT_APP)
    store = make.store(merchant)
    owner = make.staff(merchant, role=roles.OWNER)
    db.session.commit()
    return dict(merchant=merchant, store=store, owner=owner)


def coupon(db, shop, title="满50减10", **values):
    return coupon_templates.save_template(db.session, shop["owner"], None, **{
        "kind": "cash", "title": title, "amount_off": 1000, "min_spend": 5000, "validity_mode": "relative",
        "valid_days": 30, **values})


def configure(db, shop, join=(), first_payment=(), enabled=True):
    """Reward cells per level: (points, coupon template or None)."""
    def cells(levels):
        return [{"points": p, "coupon_template_id": t.id if t is not None else None} for p, t in levels]

    referral_settings.save(db.session, shop["owner"], invite_enabled=enabled, rebind_guide_on_scan=False,
                           rewards={"join": cells(join), "first_payment": cells(first_payment)})
    db.session.commit()


def wechat(shop, openid, unionid=None, app_id=WECHAT_APP):
    return member_join.ChannelLogin(shop["merchant"].id, "wechat", app_id, openid, unionid=unionid)


def alipay(shop, user_id, app_id=""):
    return member_join.ChannelLogin(shop["merchant"].id, "alipay", app_id, user_id)


def join(db, shop, login, mobile, via=None, session=None):
    """A person claims the card, through `via`'s invite link when given."""
    session = session or db.session
    merchant = session.get(Merchant, shop["merchant"].id)
    touch = Touch.of(sources.for_member(session, session.get(Member, via.id))) if via is not None else Touch()
    return member_join.join(session, merchant, login, mobile=mobile, profile=member_join.Profile(), touch=touch)


def fresh(db, member):
    db.session.expire_all()
    return db.session.get(Member, member.id)


def referral_points(db, member):
    return db.session.scalar(select(func.coalesce(func.sum(PointsTransaction.amount), 0)).where(
        PointsTransaction.member_id == member.id, PointsTransaction.kind == "referral"))


def referral_coupons(db, member):
    return db.session.scalar(select(func.count(CouponCode.id)).where(CouponCode.member_id == member.id,
                                                                     CouponCode.channel == "referral"))


def test_does_a_friend_joining_through_an_invite_record_the_inviter_and_reward_them(db, shop):
    ticket = coupon(db, shop)
    configure(db, shop, join=[(100, ticket)])
    inviter = join(db, shop, wechat(shop, "o-inviter"), "13900000001")
    friend = join(db, shop, wechat(shop, "o-friend"), "13900000002", via=inviter)
    db.session.commit()

    assert fresh(db, friend).referrer_id == inviter.id
    assert referral_points(db, inviter) == 100 and referral_coupons(db, inviter) == 1
    txn = db.session.scalars(select(PointsTransaction).where(PointsTransaction.member_id == inviter.id,
                                                             PointsTransaction.kind == "referral")).one()
    assert txn.idempotency_key == f"referral:{friend.id}:join:1" and txn.note == "邀请奖励：好友开卡"
    row = db.session.scalars(select(ReferralReward)).one()
    assert (row.outcome, row.points, row.referrer_id, row.coupon_template_id) == ("given", 100, inviter.id, ticket.id)
    assert [f.member_id for f in referral_lists.friends_of(db.session, shop["merchant"].id, inviter.id)] == [friend.id]
    assert referral_lists.friends_of(db.session, shop["merchant"].id, inviter.id)[0].rewards == ("100 积分 + 满50减10",)


def test_are_three_levels_paid_and_never_a_fourth(db, shop):
    configure(db, shop, join=[(100, None), (20, None), (5, None)])
    a = join(db, shop, wechat(shop, "o-a"), "13900000011")
    b = join(db, shop, wechat(shop, "o-b"), "13900000012", via=a)
    c = join(db, shop, wechat(shop, "o-c"), "13900000013", via=b)
    d = join(db, shop, wechat(shop, "o-d"), "13900000014", via=c)
    db.session.commit()
    before = {m.id: referral_points(db, m) for m in (a, b, c, d)}
    e = join(db, shop, wechat(shop, "o-e"), "13900000015", via=d)
    db.session.commit()

    gained = {m.id: referral_points(db, m) - before[m.id] for m in (a, b, c, d)}
    assert gained == {d.id: 100, c.id: 20, b.id: 5, a.id: 0}
    rows = db.session.scalars(select(ReferralReward).where(ReferralReward.invitee_id == e.id)
                              .order_by(ReferralReward.level)).all()
    assert [(r.level, r.referrer_id) for r in rows] == [(1, d.id), (2, c.id), (3, b.id)]
    assert referral_lists.totals_of(db.session, shop["merchant"].id, b.id).indirect_points == 20 + 5


def test_is_the_first_payment_rewarded_once_and_a_second_payment_gives_nothing(db, shop):
    configure(db, shop, first_payment=[(50, None), (10, None)])
    top = join(db, shop, wechat(shop, "o-top"), "13900000021")
    inviter = join(db, shop, wechat(shop, "o-inv"), "13900000022", via=top)
    friend = join(db, shop, wechat(shop, "o-fr"), "13900000023", via=inviter)
    db.session.commit()
    assert referral_points(db, inviter) == 0  # no join rewards set

    for key in ("first", "second"):
        checkout.pay(db.session, shop["merchant"], shop["owner"], store_id=shop["store"].id, member_id=friend.id,
                     amount=3000, tender="cash", choice=None, seed=key, key=key)
        db.session.commit()
    assert (referral_points(db, inviter), referral_points(db, top)) == (50, 10)
    friends = referral_lists.friends_of(db.session, shop["merchant"].id, inviter.id)
    assert friends[0].paid and friends[0].rewards == ("50 积分",)


def test_does_a_referrer_typed_in_by_staff_earn_no_invite_reward_for_a_first_payment(db, shop, make):
    configure(db, shop, first_payment=[(50, None)])
    referrer = make.member(shop["merchant"])
    payer = make.member(shop["merchant"], referrer_id=referrer.id)
    db.session.commit()
    checkout.pay(db.session, shop["merchant"], shop["owner"], store_id=shop["store"].id, member_id=payer.id,
                 amount=3000, tender="cash", choice=None, seed="s", key="k")
    db.session.commit()
    assert referral_points(db, referrer) == 0


def test_is_a_coupon_out_of_stock_skipped_with_a_note_and_the_join_stands(db, shop):
    ticket = coupon(db, shop, stock_total=1)
    configure(db, shop, join=[(30, ticket)])
    inviter = join(db, shop, wechat(shop, "o-i"), "13900000031")
    first = join(db, shop, wechat(shop, "o-f1"), "13900000032", via=inviter)
    second = join(db, shop, wechat(shop, "o-f2"), "13900000033", via=inviter)
    db.session.commit()

    assert fresh(db, second).referrer_id == inviter.id
    assert referral_points(db, inviter) == 60 and referral_coupons(db, inviter) == 1
    late = db.session.scalars(select(ReferralReward).where(ReferralReward.invitee_id == second.id)).one()
    assert late.outcome == "given" and "满50减10" in late.note and "领完" in late.note
    assert db.session.scalars(select(ReferralReward).where(ReferralReward.invitee_id == first.id)).one().note is None


def test_does_a_member_inviting_themselves_get_nothing(db, shop, make):
    """A member made at the till claims the card through their own invite link."""
    configure(db, shop, join=[(100, None)])
    member = make.member(shop["merchant"], mobile="13900000041")
    db.session.commit()
    join(db, shop, wechat(shop, "o-self"), "13900000041", via=member)
    db.session.commit()
    assert fresh(db, member).referrer_id is None and referral_points(db, member) == 0
    assert referral_lists.refusal_of(db.session, shop["merchant"].id, member.id).note == "不能邀请自己"


def test_does_the_inviter_claiming_with_their_own_phone_in_the_other_app_get_nothing(db, shop):
    configure(db, shop, join=[(100, None)])
    inviter = join(db, shop, wechat(shop, "o-me"), "13900000042")
    db.session.commit()
    again = join(db, shop, alipay(shop, "2088000000000042"), "13900000042", via=inviter)
    db.session.commit()
    assert again.id == inviter.id
    assert fresh(db, inviter).referrer_id is None and referral_points(db, inviter) == 0
    assert db.session.scalar(select(func.count(ReferralReward.id))) == 0


@pytest.mark.parametrize("shared", ["openid", "unionid", "alipay"])
def test_does_a_friend_sharing_the_inviters_wechat_or_alipay_account_give_nothing(db, shop, shared):
    configure(db, shop, join=[(100, None)])
    inviter = join(db, shop, alipay(shop, "2088000000000051"), "13900000051")
    if shared == "openid":  # the same openid under another (older) official account
        members.bind_identity(db.session, inviter, "wechat_openid", "o-shared", "wx-old-account")
        login = wechat(shop, "o-shared")
    elif shared == "unionid":  # the inviter follows the account; their follower row carries the unionid
        db.session.add(Fan(merchant_id=shop["merchant"].id, app_id=WECHAT_APP, openid="o-inviter-fan",
                           unionid="u-shared", subscribed=True, member_id=inviter.id))
        login = wechat(shop, "o-other", unionid="u-shared")
    else:  # the same Alipay user under another Alipay app of the merchant
        login = alipay(shop, "2088000000000051", app_id="ali-second-app")
    db.session.commit()
    friend = join(db, shop, login, "13900000052", via=inviter)
    db.session.commit()

    assert friend.id != inviter.id and fresh(db, friend).referrer_id is None
    assert referral_points(db, inviter) == 0
    refusal = referral_lists.refusal_of(db.session, shop["merchant"].id, friend.id)
    assert refusal.note == "邀请人与好友使用同一微信或支付宝账号" and refusal.referrer_id == inviter.id


def test_is_an_invite_that_would_make_a_cycle_refused(db, shop, make):
    configure(db, shop, join=[(100, None)])
    upline = make.member(shop["merchant"], mobile="13900000061")  # made at the till, not yet claimed
    inviter = join(db, shop, wechat(shop, "o-down"), "13900000062", via=upline)
    db.session.commit()
    assert fresh(db, inviter).referrer_id == upline.id
    join(db, shop, wechat(shop, "o-up"), "13900000061", via=inviter)
    db.session.commit()
    assert fresh(db, upline).referrer_id is None
    assert "循环" in referral_lists.refusal_of(db.session, shop["merchant"].id, upline.id).note


def test_does_an_invite_of_a_member_with_another_referrer_keep_the_first(db, shop, make):
    configure(db, shop, join=[(100, None)])
    first_referrer = make.member(shop["merchant"])
    inviter = join(db, shop, wechat(shop, "o-x"), "13900000071")
    existing = make.member(shop["merchant"], mobile="13900000072", referrer_id=first_referrer.id)
    db.session.commit()
    join(db, shop, wechat(shop, "o-y"), "13900000072", via=inviter)
    db.session.commit()
    assert fresh(db, existing).referrer_id == first_referrer.id
    assert referral_points(db, inviter) == 0 and referral_points(db, first_referrer) == 0
    assert referral_lists.refusal_of(db.session, shop["merchant"].id, existing.id).note.startswith("已有其他推荐人")


def test_does_a_switched_off_invite_programme_record_no_referrer(db, shop):
    configure(db, shop, join=[(100, None)], enabled=False)
    inviter = join(db, shop, wechat(shop, "o-off1"), "13900000081")
    friend = join(db, shop, wechat(shop, "o-off2"), "13900000082", via=inviter)
    db.session.commit()
    assert fresh(db, friend).referrer_id is None and referral_points(db, inviter) == 0
    assert referral_lists.refusal_of(db.session, shop["merchant"].id, friend.id).note == "商家已关闭邀请有礼"


def test_does_another_merchants_invite_touch_record_nothing(db, shop, make):
    configure(db, shop, join=[(100, None)])
    elsewhere = make.merchant()
    outsider = make.member(elsewhere)
    their_source = sources.for_member(db.session, outsider)
    db.session.commit()
    friend = member_join.join(db.session, shop["merchant"], wechat(shop, "o-cross"), mobile="13900000091",
                              profile=member_join.Profile(), touch=Touch(source_id=their_source.id))
    db.session.commit()
    assert fresh(db, friend).referrer_id is None
    assert db.session.scalar(select(func.count(ReferralReward.id))) == 0
    with pytest.raises(sources.SourceRefused):
        sources.usable(db.session, shop["merchant"].id, their_source.token)


def test_does_the_reward_key_make_a_replayed_call_give_nothing_more(db, shop):
    configure(db, shop, join=[(100, None)])
    inviter = join(db, shop, wechat(shop, "o-r1"), "13900000101")
    friend = join(db, shop, wechat(shop, "o-r2"), "13900000102", via=inviter)
    db.session.commit()
    source = sources.for_member(db.session, inviter)
    referrals.after_join(db.session, shop["merchant"], fresh(db, friend), Touch.of(source))
    db.session.commit()
    assert referral_points(db, inviter) == 100
    assert db.session.scalar(select(func.count(MemberIdentity.id)).where(MemberIdentity.member_id == friend.id)) == 1


def test_is_a_first_payment_by_an_order_rewarded_once_and_a_till_payment_after_it_adds_nothing(db, shop):
    configure(db, shop, first_payment=[(40, None)])
    inviter = join(db, shop, wechat(shop, "o-ord1"), "13900000111")
    friend = join(db, shop, wechat(shop, "o-ord2"), "13900000112", via=inviter)
    sold = coupon(db, shop, title="10 元券", free_claim=False, price=500)
    db.session.commit()
    order = card_sales.create_order(db.session, shop["merchant"], friend.id, template_id=sold.id, product="coupon",
                                    channel="wechat", key="buy-1")
    settlement.record_payment(db.session, shop["merchant"], order, amount=order.amount, currency="CNY", app_id="wx",
                              merchant_no="", channel_trade_no=f"T{order.id}", payer="p",
                              expected=Expected(order.amount, "CNY", "wx", ""))
    db.session.commit()
    assert referral_points(db, inviter) == 40
    checkout.pay(db.session, shop["merchant"], shop["owner"], store_id=shop["store"].id, member_id=friend.id,
                 amount=3000, tender="cash", choice=None, seed="after", key="after-order")
    db.session.commit()
    assert referral_points(db, inviter) == 40


def test_is_the_inviter_told_by_the_points_and_coupon_notices_they_already_get(db, shop):
    ticket = coupon(db, shop, title="邀请券")
    configure(db, shop, join=[(100, ticket)])
    inviter = join(db, shop, wechat(shop, "o-told"), "13900000121")
    join(db, shop, wechat(shop, "o-teller"), "13900000122", via=inviter)
    db.session.commit()
    told = db.session.scalars(select(NoticeDelivery).where(NoticeDelivery.member_id == inviter.id)).all()
    kinds = sorted(notice.kind for notice in told)
    assert kinds == ["coupon_received", "points_changed"]
    assert next(n for n in told if n.kind == "points_changed").payload["reason"] == "邀请奖励：好友开卡"


def test_does_a_disabled_referrer_get_nothing_while_the_level_above_is_still_paid(db, shop):
    configure(db, shop, join=[(100, None), (10, None)])
    top = join(db, shop, wechat(shop, "o-top-d"), "13900000131")
    inviter = join(db, shop, wechat(shop, "o-off-d"), "13900000132", via=top)
    inviter.status = "disabled"
    db.session.commit()
    friend = join(db, shop, wechat(shop, "o-new-d"), "13900000133", via=inviter)
    db.session.commit()
    assert fresh(db, friend).referrer_id == inviter.id
    assert referral_points(db, inviter) == 0 and referral_points(db, top) == 100 + 10
    skipped = db.session.scalars(select(ReferralReward).where(ReferralReward.invitee_id == friend.id,
                                                              ReferralReward.level == 1)).one()
    assert (skipped.outcome, skipped.note) == ("skipped", "邀请人会员卡已停用，未发放")


def test_do_the_totals_count_a_friend_who_paid_at_the_till_as_the_list_does(db, shop, make):
    inviter = join(db, shop, wechat(shop, "o-tot"), "13900000141")
    payer = make.member(shop["merchant"], referrer_id=inviter.id)
    make.member(shop["merchant"], referrer_id=inviter.id)
    db.session.commit()
    checkout.pay(db.session, shop["merchant"], shop["owner"], store_id=shop["store"].id, member_id=payer.id,
                 amount=1000, tender="cash", choice=None, seed="t", key="tot")
    db.session.commit()
    friends = referral_lists.friends_of(db.session, shop["merchant"].id, inviter.id)
    totals = referral_lists.totals_of(db.session, shop["merchant"].id, inviter.id)
    assert (totals.friends, totals.paid_friends) == (2, 1) == (len(friends), sum(f.paid for f in friends))
