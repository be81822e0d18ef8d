"""A member's timeline (会员360) against the database: one row per event of every kind, built through the services
that make them; the kind and date filters, paging, refusals of bad filters, and another merchant's rows never
appear."""
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from domain import roles
from domain.clock import local_today
from domain.orders import Expected
from models import CouponCode, Level, Member
from services.coupons import templates as coupon_templates
from services.members import levels as level_service, timeline
from services.orders import card_sales, settlement
from services.outreach import run
from services.points import ledger as points_ledger
from services.recruitment import guides as guide_service
from services.rewards import rules as reward_rules
from services.till import checkout, refunds
from services.verification import instruments
from tests.integration.outreach.support import LATE_MORNING, draft, shop_with_members


def _everything_happened(db, make, name):
    """A shop whose first follower has one event of each kind; returns (shop, owner, member, inviter)."""
    shop, owner, fans, plain = shop_with_members(db, make, followers=1, phones_only=1, name=name)
    member, inviter = fans[0], plain[0]
    store = make.store(shop, "南山店")
    guide = make.staff(shop, role=roles.GUIDE, username=f"tl-guide-{shop.id}", stores_=[store])
    reward_rules.save(db.session, owner, None, kind="post_payment", name="消费有礼", min_paid=0,
                      rewards={"points": 10, "growth": 0})
    db.session.commit()
    paid = checkout.pay(db.session, shop, owner, store_id=store.id, member_id=member.id, amount=5000, tender="cash",
                        choice=None, seed="s", key="tl-pay")  # payment, reward, points earned
    db.session.commit()
    refunds.refund(db.session, owner, paid.id, 1000, reason="少收了一件", key="tl-refund")
    sold = coupon_templates.save_template(db.session, owner, None, kind="cash", title="10 元券", amount_off=1000,
                                          min_spend=5000, validity_mode="relative", valid_days=30, free_claim=False,
                                          price=500)
    order = card_sales.create_order(db.session, shop, member.id, template_id=sold.id, product="coupon",
                                    channel="wechat", key="tl-buy")
    settlement.record_payment(db.session, shop, order, amount=order.amount, currency="CNY", app_id="wx",
                              merchant_no="", channel_trade_no=f"T{order.id}", payer="p",
                              expected=Expected(order.amount, "CNY", "wx", ""))
    db.session.commit()
    code = db.session.scalars(select(CouponCode).where(CouponCode.member_id == member.id)).one()
    instruments.verify(db.session, owner, code.code, store_id=store.id, method="manual", key="tl-verify")
    points_ledger.adjust(db.session, shop, member.id, 5, key="tl-adjust", reason="补录积分", operator=owner,
                         store_id=store.id)
    gold = db.session.scalars(select(Level).where(Level.merchant_id == shop.id).order_by(Level.rank.desc())).first()
    level_service.set_level_manually(db.session, owner, db.session.get(Member, member.id), gold.id, "老客户")
    guide_service.reassign(db.session, owner, db.session.get(Member, member.id), guide.id, reason="就近服务")
    db.session.commit()
    send = draft(db, owner)
    run.submit(db.session, owner, send.id, now=LATE_MORNING)
    db.session.commit()
    while run.run_chunk(db.session, send.id, now=LATE_MORNING):
        db.session.commit()
    db.session.commit()
    return shop, owner, member, inviter


@pytest.fixture()
def world(db, make):
    return _everything_happened(db, make, "全景店")


def kinds_of(rows):
    return sorted(row.kind for row in rows)


def test_does_the_timeline_hold_one_row_per_event_of_every_kind(db, world):
    shop, _owner, member, inviter = world
    rows = timeline.page_of(db.session, shop.id, member.id, per_page=100).rows
    by_kind = {}
    for row in rows:
        by_kind.setdefault(row.kind, []).append(row)
    assert set(by_kind) == set(timeline.KINDS)
    assert len(by_kind["payment"]) == 1 and by_kind["payment"][0].amount == 5000
    assert by_kind["payment"][0].store == "南山店" and by_kind["payment"][0].link[0] == "checkout"
    assert [r.amount for r in by_kind["refund"]] == [-1000] and "少收了一件" in by_kind["refund"][0].sentence
    assert len(by_kind["order"]) == 1 and by_kind["order"][0].amount == 500
    assert len(by_kind["verification"]) == 1 and "10 元券" in by_kind["verification"][0].sentence
    assert len(by_kind["reward"]) == 1 and "消费有礼" in by_kind["reward"][0].sentence
    assert [r.sentence.endswith("（手动调整）") for r in by_kind["level"]] == [True, False]  # then the join
    assert len(by_kind["guide"]) == 1 and "就近服务" in by_kind["guide"][0].sentence
    assert sorted(r.points for r in by_kind["points"]) == [-10, -2, 5, 10, 50]  # earned, rewarded, adjusted, taken back
    assert {r.sentence.split(" ")[0] for r in by_kind["points"]} == {"积分手动调整", "积分获得", "积分冲回"}
    assert any("推广记录" in r.sentence for r in by_kind["referral"])
    assert [r.at for r in rows] == sorted((r.at for r in rows), reverse=True)
    assert kinds_of(timeline.page_of(db.session, shop.id, inviter.id).rows) == ["level"]  # her join; nothing else


def test_does_a_send_the_member_received_show_as_a_message(db, world):
    shop, _owner, member, _inviter = world
    rows = timeline.page_of(db.session, shop.id, member.id, filters=timeline.Filters(kinds=("message",))).rows
    assert len(rows) == 1 and "群发「双旦活动」" in rows[0].sentence and rows[0].link[0] == "send"


def test_do_the_kind_and_date_filters_and_paging_cut_the_list(db, world):
    shop, _owner, member, _inviter = world
    everything = timeline.page_of(db.session, shop.id, member.id, per_page=100).rows
    payments = timeline.page_of(db.session, shop.id, member.id, filters=timeline.Filters(kinds=("payment", "refund")))
    assert kinds_of(payments.rows) == ["payment", "refund"] and not payments.has_next
    first = timeline.page_of(db.session, shop.id, member.id, per_page=3)
    second = timeline.page_of(db.session, shop.id, member.id, page=2, per_page=3)
    assert first.has_next and len(first.rows) == 3
    assert first.rows + second.rows == everything[:6]
    today = local_today(shop.timezone)
    assert timeline.page_of(db.session, shop.id, member.id,
                            filters=timeline.Filters(day_from=today + timedelta(days=1))).rows == []
    assert len(timeline.page_of(db.session, shop.id, member.id, per_page=100,
                                filters=timeline.Filters(day_from=today - timedelta(days=1), day_to=today)).rows) \
        == len(everything)


@pytest.mark.parametrize("filters", [timeline.Filters(kinds=("payment", "drop table")), timeline.Filters(kinds=()),
                                     timeline.Filters(day_from=date(2026, 5, 2), day_to=date(2026, 5, 1))])
def test_is_a_bad_filter_refused_in_chinese(db, world, filters):
    shop, _owner, member, _inviter = world
    with pytest.raises(timeline.TimelineRefused) as refused:
        timeline.page_of(db.session, shop.id, member.id, filters=filters)
    assert refused.value.message in ("记录类型无效", "开始日期不能晚于结束日期")


def test_does_another_merchants_timeline_never_show_here(db, make, world):
    shop, _owner, member, _inviter = world
    other_shop, _o, other_member, _i = _everything_happened(db, make, "隔壁店")
    assert timeline.page_of(db.session, other_shop.id, member.id).rows == []
    assert timeline.page_of(db.session, shop.id, other_member.id).rows == []
    assert len(timeline.page_of(db.session, shop.id, member.id, per_page=100).rows) == len(
        timeline.page_of(db.session, other_shop.id, other_member.id, per_page=100).rows)



# Each table the timeline filters by member (refunds reach theirs through the checkout or order, referral rewards
# through the referrer): a merchant's millions of message recipients or verifications must not be read for one
# member's page, so each needs an index that starts with the member.
MEMBER_FILTERED = ["checkouts", "orders", "card_refunds", "points_transactions", "verifications", "reward_grants",
                   "send_recipients", "notice_deliveries", "level_changes", "attributions", "guide_changes"]


@pytest.mark.parametrize("table", MEMBER_FILTERED)
def test_is_each_table_the_timeline_reads_by_member_indexed_by_member(db, table):
    leading = [[column.name for column in index.columns][:2] for index in db.metadata.tables[table].indexes]
    leading += [[column.name for column in constraint.columns][:2] for constraint in db.metadata.tables[table].constraints
                if isinstance(constraint, sa.UniqueConstraint)]
    assert any(key == ["merchant_id", "member_id"] or key[:1] == ["member_id"] for key in leading), leading
