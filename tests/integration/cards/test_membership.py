"""Paid membership (付费会员) against PostgreSQL: bought through an order it gives its level once, a renewal extends
it without a second level change, the expiry job (twice, in chunks, at once) returns members to the identity the
merchant chose or to what their figures earn, a refund ends it, and two payment notifications at once fulfil once."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from domain import cards as card_rules
from domain.clock import now_utc
from domain.errors import Conflict, DomainError, NotFound
from domain.orders import Expected
from jobs import membership as membership_jobs
from jobs.dispatch import execute
from models import Attribution, Card, LevelChange, Level, Member, Merchant, Order
from services.cards import (benefit_holdings, benefit_refunds, benefit_templates, membership_holdings,
                            membership_levels, membership_plans)
from services.members import holdings as member_holdings
from services.members import levels as level_service
from services.orders import card_sales, settlement
from services.verification import instruments
from tests.integration.helpers import run_concurrently


@pytest.fixture()
def shop(db, make):
    merchant = make.merchant()
    owner = make.staff(merchant, role="owner")
    ladder = {level.name: level for level in level_service.list_levels(db.session, merchant.id)}
    member = make.member(merchant, name="付费会员甲")
    db.session.commit()
    return dict(merchant=merchant, owner=owner, member=member, levels=ladder)


def plan(db, shop, **overrides):
    values = dict(title="年度会员", price=9900, valid_days=365, discount_percent=90, points_multiplier=200,
                  free_items=["生日赠饮"], membership_level_id=shop["levels"]["金卡"].id,
                  after_expiry_level_id=shop["levels"]["普通"].id)
    values.update(overrides)
    saved = membership_plans.save_plan(db.session, shop["owner"], None, **values)
    db.session.commit()
    return saved


def buy(db, shop, template, key, member=None, now=None):
    member = member or shop["member"]
    order = card_sales.create_order(db.session, shop["merchant"], member.id, template_id=template.id,
                                    channel="wechat", key=key, now=now)
    db.session.commit()
    settlement.record_payment(db.session, shop["merchant"], order, amount=order.amount, currency="CNY", app_id="wx",
                              merchant_no="", channel_trade_no=f"T{order.id}", payer="p",
                              expected=Expected(order.amount, "CNY", "wx", ""), now=now)
    db.session.commit()
    db.session.expire_all()
    return db.session.get(Order, order.id)


def level_of(db, member):
    db.session.expire_all()
    return db.session.get(Member, member.id).level.name


def changes(db, member, reason=None):
    query = select(func.count(LevelChange.id)).where(LevelChange.member_id == member.id)
    if reason is not None:
        query = query.where(LevelChange.reason == reason)
    return db.session.scalar(query)


def the_card(db, order):
    return db.session.get(Card, order.fulfilment["card_id"])


def expire_all_due(db, merchant, now):
    done = execute(membership_jobs.expire_paid_memberships_for_merchant.job_name, merchant.id, now)
    db.session.expire_all()
    return done


def test_does_buying_a_plan_give_its_level_its_benefits_and_a_paid_membership_attribution(db, shop):
    template = plan(db, shop)
    order = buy(db, shop, template, "buy:1")

    assert order.state == "fulfilled" and order.items["membership"] is True
    card = the_card(db, order)
    assert card.state == card_rules.ACTIVE and card.price_paid == 9900 and card.template.membership
    assert level_of(db, shop["member"]) == "金卡"
    assert changes(db, shop["member"], "paid") == 1
    events = db.session.scalars(select(Attribution.event).where(Attribution.member_id == shop["member"].id)).all()
    assert "paid_membership" in events and "card_purchase" not in events
    running = membership_holdings.of_member(db.session, shop["merchant"].id, shop["member"].id, now_utc())
    assert running.active and running.plan.id == template.id and running.ends_at == card.ends_at


def test_does_a_renewal_extend_the_end_without_a_second_level_change(db, shop):
    template = plan(db, shop)
    first = the_card(db, buy(db, shop, template, "buy:1"))
    first_end = first.ends_at

    second = the_card(db, buy(db, shop, template, "buy:2"))

    assert second.ends_at == first_end + timedelta(days=365)
    db.session.expire_all()
    old = db.session.get(Card, first.id)
    assert old.state == card_rules.VOIDED and old.extended_into_id == second.id
    assert level_of(db, shop["member"]) == "金卡" and changes(db, shop["member"], "paid") == 1
    assert len(membership_holdings.running(db.session, shop["merchant"].id, shop["member"].id, now_utc())) == 1


def test_does_the_expiry_job_return_the_member_to_the_chosen_identity_once(db, shop):
    template = plan(db, shop, after_expiry_level_id=shop["levels"]["银卡"].id)
    card = the_card(db, buy(db, shop, template, "buy:1"))
    later = card.ends_at + timedelta(seconds=1)

    assert expire_all_due(db, shop["merchant"], card.ends_at - timedelta(seconds=1)) == 0  # not yet
    assert level_of(db, shop["member"]) == "金卡"
    assert expire_all_due(db, shop["merchant"], later) == 1

    assert db.session.get(Card, card.id).state == card_rules.EXPIRED
    assert level_of(db, shop["member"]) == "银卡"
    assert changes(db, shop["member"], "paid_expiry") == 1
    before = changes(db, shop["member"])
    assert expire_all_due(db, shop["merchant"], later + timedelta(days=1)) == 0  # a double run changes nothing
    assert changes(db, shop["member"]) == before and level_of(db, shop["member"]) == "银卡"
    ended = membership_holdings.of_member(db.session, shop["merchant"].id, shop["member"].id, later)
    assert not ended.active and ended.ends_at == card.ends_at


def test_without_a_chosen_identity_does_the_member_return_to_what_their_figures_earn(db, make, shop):
    template = plan(db, shop, after_expiry_level_id=None)
    spender = make.member(shop["merchant"], name="常客")
    spender.total_spend = 150_000  # ¥1500 earns 银卡 (¥1000)
    db.session.commit()
    ends = [the_card(db, buy(db, shop, template, f"buy:{m.id}", member=m)).ends_at
            for m in (shop["member"], spender)]
    assert level_of(db, spender) == "金卡"

    expire_all_due(db, shop["merchant"], max(ends) + timedelta(seconds=1))

    assert level_of(db, shop["member"]) == "普通" and level_of(db, spender) == "银卡"


def test_is_a_member_never_put_below_the_level_their_figures_earn(db, make, shop):
    template = plan(db, shop)  # after expiry: 普通
    member = shop["member"]
    card = the_card(db, buy(db, shop, template, "buy:1"))
    db.session.get(Member, member.id).total_spend = 150_000
    db.session.commit()
    expire_all_due(db, shop["merchant"], card.ends_at + timedelta(seconds=1))
    assert level_of(db, member) == "银卡"


def test_does_a_plan_never_move_a_member_down_nor_take_a_level_they_changed_since(db, make, shop):
    silver_plan = plan(db, shop, title="银卡会员", membership_level_id=shop["levels"]["银卡"].id,
                       after_expiry_level_id=shop["levels"]["普通"].id)
    gold = make.member(shop["merchant"], name="金卡会员")
    level_service.set_level_manually(db.session, shop["owner"], gold, shop["levels"]["金卡"].id, "老客户")
    db.session.commit()
    card = the_card(db, buy(db, shop, silver_plan, "buy:gold", member=gold))
    assert level_of(db, gold) == "金卡" and changes(db, gold, "paid") == 0

    mine = the_card(db, buy(db, shop, silver_plan, "buy:1"))
    assert level_of(db, shop["member"]) == "银卡"
    member = db.session.get(Member, shop["member"].id)
    level_service.set_level_manually(db.session, shop["owner"], member, shop["levels"]["金卡"].id, "店长调整")
    db.session.commit()

    expire_all_due(db, shop["merchant"], max(card.ends_at, mine.ends_at) + timedelta(seconds=1))
    assert level_of(db, gold) == "金卡" and level_of(db, shop["member"]) == "金卡"
    assert changes(db, shop["member"], "paid_expiry") == 0


def test_does_a_refund_end_the_membership_and_give_the_level_back(db, shop):
    template = plan(db, shop)
    card = the_card(db, buy(db, shop, template, "buy:1"))

    benefit_refunds.refund(db.session, shop["owner"], card.id, with_money=True, amount=9900, take_back_coupons=True,
                           reason="不想要了", key="refund:1")
    db.session.commit()

    assert db.session.get(Card, card.id).state == card_rules.REFUNDED
    assert level_of(db, shop["member"]) == "普通" and changes(db, shop["member"], "paid_refund") == 1
    assert membership_holdings.running(db.session, shop["merchant"].id, shop["member"].id, now_utc()) == []
    assert [r.card_id for r in benefit_refunds.refunds(db.session, shop["merchant"].id, membership=True)] == [card.id]
    assert benefit_refunds.refunds(db.session, shop["merchant"].id) == []  # not among benefit card refunds
    assert expire_all_due(db, shop["merchant"], card.ends_at + timedelta(days=1)) == 0


def test_do_two_payment_notifications_at_once_give_one_membership_and_one_level_change(app, db, shop):
    template = plan(db, shop)
    order = card_sales.create_order(db.session, shop["merchant"], shop["member"].id, template_id=template.id,
                                    channel="wechat", key="race")
    db.session.commit()
    merchant_id, order_id = shop["merchant"].id, order.id

    def notify(session, index):
        merchant = session.get(Merchant, merchant_id)
        mine = session.get(Order, order_id)
        return settlement.record_payment(session, merchant, mine, amount=mine.amount, currency="CNY", app_id="wx",
                                         merchant_no="", channel_trade_no=f"T{order_id}", payer="p",
                                         expected=Expected(mine.amount, "CNY", "wx", ""))

    paid, refused = run_concurrently(app, 2, notify)

    assert sorted(paid) == [False, True] and refused == []
    assert db.session.scalar(select(func.count(Card.id)).where(Card.template_id == template.id)) == 1
    assert changes(db, shop["member"], "paid") == 1 and level_of(db, shop["member"]) == "金卡"


def test_do_expiry_jobs_at_once_change_a_level_once(app, db, make, shop):
    template = plan(db, shop)
    people = [make.member(shop["merchant"]) for _ in range(5)]
    db.session.commit()
    ends = [the_card(db, buy(db, shop, template, f"buy:{m.id}", member=m)).ends_at for m in people]
    merchant_id, later = shop["merchant"].id, max(ends) + timedelta(seconds=1)

    def run(session, index):
        return membership_levels.expire_due(session, merchant_id, later, limit=2)

    done, refused = run_concurrently(app, 4, run)
    assert refused == []
    expire_all_due(db, shop["merchant"], later)  # whatever the racing chunks left

    assert db.session.scalar(select(func.count(LevelChange.id)).where(LevelChange.reason == "paid_expiry")) == 5
    assert {level_of(db, m) for m in people} == {"普通"}


def test_does_a_job_stopped_mid_chunk_leave_the_rest_due_and_lose_nothing(db, make, shop):
    template = plan(db, shop)
    people = [make.member(shop["merchant"]) for _ in range(3)]
    db.session.commit()
    ends = [the_card(db, buy(db, shop, template, f"buy:{m.id}", member=m)).ends_at for m in people]
    later = max(ends) + timedelta(seconds=1)

    assert membership_levels.expire_due(db.session, shop["merchant"].id, later, limit=2) == 2
    db.session.rollback()  # the worker died before its commit
    assert {level_of(db, m) for m in people} == {"金卡"}

    assert membership_levels.expire_due(db.session, shop["merchant"].id, later, limit=2) == 2
    db.session.commit()  # one chunk done, then the worker died
    assert expire_all_due(db, shop["merchant"], later) == 1  # the restarted job finishes the rest
    assert {level_of(db, m) for m in people} == {"普通"}
    assert db.session.scalar(select(func.count(LevelChange.id)).where(LevelChange.reason == "paid_expiry")) == 3


def test_does_the_periodic_job_reach_every_merchant_with_plans_and_only_their_cards(db, make, shop):
    template = plan(db, shop)
    other = make.merchant()
    other_owner = make.staff(other, role="owner")
    other_member = make.member(other)
    other_levels = {lv.name: lv for lv in level_service.list_levels(db.session, other.id)}
    db.session.commit()
    other_plan = membership_plans.save_plan(db.session, other_owner, None, title="他店会员", price=5000,
                                            valid_days=30, discount_percent=95,
                                            membership_level_id=other_levels["银卡"].id)
    db.session.commit()
    card = the_card(db, buy(db, shop, template, "buy:1"))
    other_card = the_card(db, buy(db, dict(shop, merchant=other), other_plan, "buy:other", member=other_member))

    assert set(membership_levels.merchants_with_plans(db.session)) == {shop["merchant"].id, other.id}
    assert expire_all_due(db, shop["merchant"], other_card.ends_at + timedelta(seconds=1)) == 0
    assert db.session.get(Card, other_card.id).state == card_rules.ACTIVE  # another merchant's job left it
    execute(membership_jobs.expire_paid_memberships_everywhere.job_name)  # now: nothing is due anywhere yet
    db.session.expire_all()
    assert db.session.get(Card, card.id).state == card_rules.ACTIVE


def test_is_a_plan_checked_before_it_is_saved(db, make, shop):
    levels = shop["levels"]
    with pytest.raises(DomainError, match="价格"):
        plan(db, shop, price=None)
    db.session.rollback()
    with pytest.raises(DomainError, match="有效天数"):
        plan(db, shop, valid_days=None)
    db.session.rollback()
    with pytest.raises(DomainError, match="开通后的会员等级"):
        plan(db, shop, membership_level_id=None, after_expiry_level_id=levels["普通"].id)
    db.session.rollback()
    other = make.merchant()
    db.session.commit()
    foreign = db.session.scalars(select(Level).where(Level.merchant_id == other.id)).first()
    with pytest.raises(NotFound):
        plan(db, shop, membership_level_id=foreign.id)
    db.session.rollback()
    template = plan(db, shop, membership_level_id=None, after_expiry_level_id=None)
    assert template.membership and template.membership_level_id is None


def test_are_plans_kept_apart_from_benefit_cards_everywhere_a_member_or_merchant_sees_cards(db, shop):
    template = plan(db, shop)
    card = benefit_templates.save_template(db.session, shop["owner"], None, title="黄金权益卡", price=1000,
                                           discount_percent=95)
    db.session.commit()
    buy(db, shop, template, "buy:1")
    merchant_id, member_id = shop["merchant"].id, shop["member"].id

    assert [t.id for t in benefit_templates.templates(db.session, merchant_id)] == [card.id]
    assert [t.id for t in membership_plans.plans(db.session, merchant_id)] == [template.id]
    offers = card_sales.card_offers(db.session, merchant_id)[card_rules.BENEFIT]
    assert [o.template.id for o in offers] == [card.id]
    assert benefit_holdings.member_cards(db.session, merchant_id, member_id) == []
    assert member_holdings.counted(db.session, merchant_id, member_id, now_utc()).benefit_cards == 0
    kinds = {h.kind_label for h in member_holdings.holdings(db.session, merchant_id, member_id)}
    assert "付费会员" in kinds and "权益卡" not in kinds
    staff_sees = instruments.held_by(db.session, db.session.get(Member, member_id), None)
    assert [(h.kind_label, h.title) for h in staff_sees] == [("付费会员", "年度会员")]
    with pytest.raises(NotFound):
        membership_plans.get_plan(db.session, merchant_id, card.id)
    with pytest.raises(NotFound):
        membership_plans.save_plan(db.session, shop["owner"], card, title="改成会员", price=1, valid_days=1,
                                   discount_percent=90)


def test_while_one_plan_runs_is_only_the_same_plan_sold(db, shop):
    yearly = plan(db, shop)
    monthly = plan(db, shop, title="月度会员", price=1500, valid_days=30)
    buy(db, shop, yearly, "buy:1")
    with pytest.raises(Conflict, match="到期前只能续费该方案"):
        card_sales.create_order(db.session, shop["merchant"], shop["member"].id, template_id=monthly.id,
                                channel="wechat", key="buy:other")
    db.session.rollback()
    offer, own = membership_plans.offer(db.session, shop["merchant"].id, shop["member"].id, monthly, now_utc())
    assert (offer, own) == (membership_plans.OTHER_RUNNING, None)
    offer, own = membership_plans.offer(db.session, shop["merchant"].id, shop["member"].id, yearly, now_utc())
    assert offer == membership_plans.RENEW and own is not None
