"""开卡礼, 关注礼 and 升级礼 as reward rules, against PostgreSQL: once each, whatever the retries, paths and races."""
import pytest
from sqlalchemy import func, select

from models import CouponCode, Member, NoticeDelivery, PointsTransaction
from models.rewards import LevelReached, RewardGrant
from services.till import checkout
from services.rewards import gifts as gift_rules, rules as reward_rules
from services.members import levels
from services.points import ledger as points
from tests.integration.helpers import run_concurrently
from tests.integration.rewards.test_rewards import coupon_template, shop  # noqa: F401  (fixture)


@pytest.fixture()
def ladder(shop, db):
    """The levels of the payment rules' shop (where points come only from the rules), by name."""
    return {lv.name: lv for lv in levels.list_levels(db.session, shop["merchant"].id)}


def gift(db, shop, kind, level=None, **rewards):
    return reward_rules.save(db.session, shop["owner"], None, kind=kind, name=f"{kind}礼", min_paid=0,
                             level_id=level.id if level else None, rewards=rewards or {"points": 100})


def gift_points(db, member_id, reason):
    db.session.expire_all()
    return [t.amount for t in db.session.scalars(select(PointsTransaction).where(
        PointsTransaction.member_id == member_id, PointsTransaction.note == reason).order_by(PointsTransaction.id))]


def grant_count(db):
    return db.session.scalar(select(func.count(RewardGrant.id)))


def test_does_registration_give_points_and_coupons_once_whatever_the_retries(db, shop):
    template = coupon_template(db, shop)
    gift(db, shop, "registration", points=100, coupons=[{"template_id": template.id, "count": 2}])
    db.session.commit()
    member = shop["member"]
    first = gift_rules.registration(db.session, shop["merchant"], member)
    again = gift_rules.registration(db.session, shop["merchant"], member)
    db.session.commit()
    assert len(first) == 1 and again == [] and grant_count(db) == 1
    assert gift_points(db, member.id, "开卡礼") == [100]
    codes = db.session.scalars(select(CouponCode).where(CouponCode.member_id == member.id)).all()
    assert [c.channel for c in codes] == ["h5", "h5"]
    assert db.session.scalars(select(RewardGrant)).one().checkout_id is None


def test_does_a_member_who_had_the_old_registration_points_get_no_rule_gift(db, shop):
    member = shop["member"]
    points.earn(db.session, shop["merchant"], member.id, 100, key=f"registration-gift:{member.id}",
                reason="开卡赠送积分")
    gift(db, shop, "registration")
    db.session.commit()
    assert gift_rules.registration(db.session, shop["merchant"], member) == []
    assert grant_count(db) == 0


def test_is_the_upgrade_gift_given_once_per_level_even_after_a_downgrade(db, shop, ladder):
    gold, base = ladder["金卡"], ladder["普通"]
    gift(db, shop, "level_up", level=gold, points=300)
    db.session.commit()
    member = shop["member"]
    levels.set_level_manually(db.session, shop["owner"], member, gold.id, "活动升级")  # a manual upgrade counts
    levels.set_level_manually(db.session, shop["owner"], member, base.id, "误操作")
    levels.set_level_manually(db.session, shop["owner"], member, gold.id, "再次升级")
    db.session.commit()
    assert gift_points(db, member.id, "升级礼：金卡") == [300]
    assert grant_count(db) == 1


def test_does_an_automatic_upgrade_give_the_gift_of_the_level_reached_only(db, shop, ladder):
    silver, gold = ladder["银卡"], ladder["金卡"]
    gift(db, shop, "level_up", level=silver, points=50)
    gift(db, shop, "level_up", level=gold, points=300)
    db.session.commit()
    member = db.session.get(Member, shop["member"].id)
    member.total_spend = 100000
    levels.apply_upgrade(db.session, member)
    db.session.commit()
    assert gift_points(db, member.id, "升级礼：银卡") == [50]
    assert gift_points(db, member.id, "升级礼：金卡") == []


def test_does_a_till_payment_that_upgrades_give_the_gift_and_a_notice_but_no_gift_on_the_receipt(
        db, shop, ladder, monkeypatch):
    from services.members import members
    from services.shared import job_queue

    queued = []
    monkeypatch.setattr(job_queue, "enqueue", lambda session, job_name, *args, **_kw: queued.append(job_name))
    silver = ladder["银卡"]
    gift(db, shop, "level_up", level=silver, points=50)
    gift(db, shop, "registration", points=100)
    shop["merchant"].wechat_app_id = "wxgift0001"
    members.bind_identity(db.session, shop["member"], "wechat_openid", "o-gift-1", "wxgift0001")
    db.session.commit()
    made = checkout.pay(db.session, shop["merchant"], shop["owner"], store_id=shop["store"].id,
                        member_id=shop["member"].id, amount=100000, tender="cash", choice=None, seed="s", key="up-1")
    db.session.commit()
    assert db.session.get(Member, shop["member"].id).level_id == silver.id
    assert gift_points(db, shop["member"].id, "升级礼：银卡") == [50]
    assert not [line for line in made.rewards if line["kind"] == "granted"], "gift rules are not payment rules"
    assert db.session.scalar(select(func.count(NoticeDelivery.id)).where(NoticeDelivery.kind == "level_up")) == 1


def test_is_an_upgrade_gift_rule_without_a_level_or_with_growth_refused(db, shop, ladder):
    from domain.errors import DomainError

    with pytest.raises(DomainError, match="请选择"):
        gift(db, shop, "level_up")
    with pytest.raises(DomainError, match="成长值"):
        gift(db, shop, "level_up", level=ladder["金卡"], growth=10)


def test_do_two_simultaneous_upgrades_of_one_member_give_the_gift_once(app, db, shop, ladder):
    gift(db, shop, "level_up", level=ladder["银卡"], points=50)
    member = db.session.get(Member, shop["member"].id)
    member.total_spend = 100000
    db.session.commit()
    member_id = member.id

    def upgrade(session, _index):
        # No row lock taken first: the worst case, two requests each seeing the member below 银卡.
        return levels.apply_upgrade(session, session.get(Member, member_id)) is not None

    results, errors = run_concurrently(app, 2, upgrade)
    assert not errors and len(results) == 2
    assert gift_points(db, member_id, "升级礼：银卡") == [50]
    assert grant_count(db) == 1
    assert db.session.scalar(select(func.count(LevelReached.id)).where(LevelReached.member_id == member_id)) == 2


def test_do_two_simultaneous_registrations_of_one_member_give_once(app, db, shop):
    gift(db, shop, "registration", points=100, growth=10)
    db.session.commit()
    merchant_id, member_id = shop["merchant"].id, shop["member"].id

    def register(session, _index):
        from models import Merchant

        return len(gift_rules.registration(session, session.get(Merchant, merchant_id),
                                           session.get(Member, member_id)))

    results, errors = run_concurrently(app, 2, register)
    assert not errors and sorted(results) == [0, 1]
    assert gift_points(db, member_id, "开卡礼") == [100]
    assert db.session.get(Member, member_id).growth == 10


def test_is_a_level_already_reached_before_the_rule_existed_not_rewarded_again(db, shop, ladder):
    gold, base = ladder["金卡"], ladder["普通"]
    member = shop["member"]
    levels.set_level_manually(db.session, shop["owner"], member, gold.id, "老会员")
    levels.set_level_manually(db.session, shop["owner"], member, base.id, "降级")
    gift(db, shop, "level_up", level=gold, points=300)
    levels.set_level_manually(db.session, shop["owner"], member, gold.id, "回到金卡")
    db.session.commit()
    assert gift_points(db, member.id, "升级礼：金卡") == []


def test_does_the_follow_gift_give_its_coupon_once_per_fan_and_wait_for_a_non_member(db, shop):
    from models import Fan

    template = coupon_template(db, shop)
    gift(db, shop, "follow", coupons=[{"template_id": template.id, "count": 1}])
    waiting = Fan(merchant_id=shop["merchant"].id, app_id="wx1", openid="o-fan-1")
    db.session.add(waiting)
    db.session.commit()
    assert gift_rules.follow(db.session, shop["merchant"], waiting) == []  # not a member yet
    waiting.member_id = shop["member"].id
    assert [text for _rule, text in gift_rules.follow(db.session, shop["merchant"], waiting)] == ["满100减20"]
    assert gift_rules.follow(db.session, shop["merchant"], waiting) == []  # a refollow: nothing more
    db.session.commit()
    codes = db.session.scalars(select(CouponCode).where(CouponCode.member_id == shop["member"].id)).all()
    assert [c.channel for c in codes] == ["follow_gift"]
    assert gift_rules.pending_offer(db.session, shop["merchant"], "follow") == "满100减20 ×1"


@pytest.mark.parametrize("occasion", ["registration", "follow"])
def test_does_growth_from_a_registration_or_follow_gift_move_the_member_up_with_its_upgrade_gift(
        db, shop, ladder, occasion):
    from services.members import join
    from services.rewards import follow_gift
    from services.wechat import fans

    silver, merchant = ladder["银卡"], shop["merchant"]
    silver.min_spend = silver.min_visits = silver.min_topup = None
    silver.min_growth = 10
    gift(db, shop, occasion, growth=10)
    gift(db, shop, "level_up", level=silver, points=50)
    if occasion == "registration":
        login = join.ChannelLogin(merchant.id, "alipay", "", "2088000000000001")
        member = join.join(db.session, merchant, login, mobile="13900001234", profile=join.Profile(name="成长"))
    else:
        member = shop["member"]
        fans.record_subscribe(db.session, merchant, "o-growth-1")
        fan = fans.find(db.session, merchant, "o-growth-1")
        fan.member_id = member.id
        follow_gift.grant_if_member(db.session, merchant, fan)
    db.session.commit()
    assert db.session.get(Member, member.id).growth == 10
    assert db.session.get(Member, member.id).level_id == silver.id
    assert gift_points(db, member.id, "升级礼：银卡") == [50]
