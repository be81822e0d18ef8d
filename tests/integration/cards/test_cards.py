"""Count and timed cards against PostgreSQL: uses under concurrency, daily limits, extension, undo, isolation."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from domain.clock import now_utc
from domain.errors import Conflict, DomainError, NotFound, PermissionDenied
from models import Card, CardTemplate, Merchant, Staff, Verification
from services.cards import (count_timed_closing, count_timed_holdings, count_timed_issue, count_timed_photos,
                            count_timed_templates, count_timed_use)
from services.verification import instruments
from tests.integration.helpers import run_concurrently

MONTH = {"label": "月卡", "days": 30, "price": 9900}
WEEK = {"label": "周卡", "days": 7, "price": 2900}


@pytest.fixture()
def shop(db, make):
    merchant = make.merchant()
    owner = make.staff(merchant, role="owner")
    store_a, store_b = make.store(merchant, "东门店"), make.store(merchant, "西门店")
    cashier_a = make.staff(merchant, role="cashier", stores_=[store_a])
    cashier_b = make.staff(merchant, role="cashier", stores_=[store_b])
    member = make.member(merchant)
    return dict(merchant=merchant, owner=owner, store_a=store_a, store_b=store_b, cashier_a=cashier_a,
                cashier_b=cashier_b, member=member)


def count_template(db, owner, **overrides):
    values = dict(kind="count", title="洗车十次卡", service_name="精洗", uses=10)
    values.update(overrides)
    return count_timed_templates.save_template(db.session, owner, None, **values)


def timed_template(db, owner, **overrides):
    values = dict(kind="timed", title="健身月卡", tiers=[MONTH, WEEK], start_mode="first_use")
    values.update(overrides)
    return count_timed_templates.save_template(db.session, owner, None, **values)


def give(db, shop, template, key, **kwargs):
    return count_timed_issue.issue(db.session, shop["merchant"], template.id, shop["member"].id, channel="staff",
                                   key=key, **kwargs)


def test_do_30_concurrent_uses_of_a_10_use_card_succeed_exactly_10_times(app, db, make, shop):
    card = give(db, shop, count_template(db, shop["owner"]), "c1")
    staff_ids = [make.staff(shop["merchant"], role="verifier", stores_=[shop["store_a"]]).id for _ in range(30)]
    db.session.commit()
    card_id, store_id = card.id, shop["store_a"].id

    def take_one(session, index):
        staff = session.get(Staff, staff_ids[index])
        return count_timed_use.use(session, staff, card_id, store_id=store_id, method="scan", key=f"u:{index}").id

    done, refused = run_concurrently(app, 30, take_one)

    assert len(done) == 10 and len(refused) == 20
    assert all(isinstance(e, Conflict) and e.message == "该次卡已用完" for e in refused), refused[0].message
    db.session.expire_all()
    card = db.session.get(Card, card_id)
    assert (card.uses_left, card.state) == (0, "used_up") and card.closed_at is not None
    assert db.session.scalar(select(func.count(Verification.id)).where(Verification.card_id == card_id)) == 10


def test_does_taking_several_uses_at_once_take_them_and_refuse_more_than_are_left(db, shop):
    card = give(db, shop, count_template(db, shop["owner"], uses=3), "c2")
    record = count_timed_use.use(db.session, shop["cashier_a"], card.id, store_id=shop["store_a"].id, method="manual",
                                 key="k1", quantity=2)
    assert record.quantity == 2 and record.instrument_type == "count_card"
    with pytest.raises(Conflict, match="剩余 1 次，不够扣 2 次"):
        count_timed_use.use(db.session, shop["cashier_a"], card.id, store_id=shop["store_a"].id, method="manual",
                            key="k2", quantity=2)
    assert db.session.get(Card, card.id).uses_left == 1


def test_is_a_repeated_request_with_the_same_key_applied_once(db, shop):
    card = give(db, shop, count_template(db, shop["owner"]), "c3")
    first = count_timed_use.use(db.session, shop["cashier_a"], card.id, store_id=shop["store_a"].id, method="api",
                                key="same")
    again = count_timed_use.use(db.session, shop["cashier_a"], card.id, store_id=shop["store_a"].id, method="api",
                                key="same")
    assert first.id == again.id and db.session.get(Card, card.id).uses_left == 9


def test_does_undoing_the_last_use_bring_a_used_up_card_back(db, shop):
    card = give(db, shop, count_template(db, shop["owner"], uses=1), "c4")
    record = count_timed_use.use(db.session, shop["cashier_a"], card.id, store_id=shop["store_a"].id, method="scan",
                                 key="k")
    assert db.session.get(Card, card.id).state == "used_up"
    instruments.undo(db.session, shop["cashier_a"], record.id)
    card = db.session.get(Card, card.id)
    assert (card.uses_left, card.state, card.closed_at) == (1, "active", None)


def test_does_a_daily_limit_hold_under_10_concurrent_attempts(app, db, make, shop):
    template = timed_template(db, shop["owner"], daily_limit=2)
    card = give(db, shop, template, "t1", tier_key="month")
    staff_ids = [make.staff(shop["merchant"], role="verifier", stores_=[shop["store_a"]]).id for _ in range(10)]
    db.session.commit()
    card_id, store_id = card.id, shop["store_a"].id

    def enter(session, index):
        return count_timed_use.use(session, session.get(Staff, staff_ids[index]), card_id, store_id=store_id,
                                   method="scan", key=f"d:{index}").id

    done, refused = run_concurrently(app, 10, enter)

    assert len(done) == 2 and len(refused) == 8
    assert all("已达每日上限 2 次" in e.message for e in refused), refused[0].message
    db.session.expire_all()
    card = db.session.get(Card, card_id)
    assert card.state == "active" and card.ends_at - card.starts_at == timedelta(days=30)


def test_does_undoing_a_timed_use_free_todays_allowance(db, shop):
    card = give(db, shop, timed_template(db, shop["owner"], daily_limit=1), "t2", tier_key="week")
    record = count_timed_use.use(db.session, shop["cashier_a"], card.id, store_id=shop["store_a"].id, method="scan",
                                 key="a")
    with pytest.raises(Conflict, match="已达每日上限"):
        count_timed_use.use(db.session, shop["cashier_a"], card.id, store_id=shop["store_a"].id, method="scan", key="b")
    instruments.undo(db.session, shop["cashier_a"], record.id)
    count_timed_use.use(db.session, shop["cashier_a"], card.id, store_id=shop["store_a"].id, method="scan", key="c")


def test_does_a_daily_limit_reset_on_the_merchants_next_local_day(db, shop):
    card = give(db, shop, timed_template(db, shop["owner"], daily_limit=1), "t3", tier_key="month")
    now = now_utc()
    count_timed_use.use(db.session, shop["cashier_a"], card.id, store_id=shop["store_a"].id, method="scan", key="a",
                        now=now)
    count_timed_use.use(db.session, shop["cashier_a"], card.id, store_id=shop["store_a"].id, method="scan", key="b",
                        now=now + timedelta(days=1))


def test_do_5_days_left_and_a_30_day_purchase_make_35_days(db, shop):
    template = timed_template(db, shop["owner"])
    now = now_utc()
    held = give(db, shop, template, "t4", tier_key="week", now=now - timedelta(days=2))
    count_timed_use.use(db.session, shop["cashier_a"], held.id, store_id=shop["store_a"].id, method="scan", key="start",
                        now=now - timedelta(days=2))  # started two days ago: 5 days left
    purchase = give(db, shop, template, "t5", tier_key="month", now=now)
    db.session.expire_all()
    held = db.session.get(Card, held.id)
    assert held.ends_at - now == timedelta(days=35) and held.days == 37
    assert (purchase.state, purchase.extended_into_id, purchase.price_paid) == ("expired", held.id, 9900)
    assert count_timed_holdings.member_cards(db.session, shop["merchant"].id, shop["member"].id)[0] == [held]


def test_does_buying_again_before_the_first_use_lengthen_the_pending_card(db, shop):
    template = timed_template(db, shop["owner"])
    held = give(db, shop, template, "t6", tier_key="month")
    give(db, shop, template, "t7", tier_key="week")
    count_timed_use.use(db.session, shop["cashier_a"], held.id, store_id=shop["store_a"].id, method="scan", key="go")
    held = db.session.get(Card, held.id)
    assert held.ends_at - held.starts_at == timedelta(days=37)


def test_does_an_expired_card_not_take_an_extension(db, shop):
    template = timed_template(db, shop["owner"], start_mode="after_days", start_after_days=0)
    old = give(db, shop, template, "t8", tier_key="week", now=now_utc() - timedelta(days=8))
    fresh = give(db, shop, template, "t9", tier_key="week")
    assert fresh.extended_into_id is None and fresh.state == "active" and fresh.id != old.id


def test_is_an_extension_purchase_refused_at_the_till_with_a_pointer_to_the_card(db, shop):
    template = timed_template(db, shop["owner"])
    held = give(db, shop, template, "t10", tier_key="month")
    purchase = give(db, shop, template, "t11", tier_key="month")
    with pytest.raises(Conflict, match="已续期到时长卡"):
        count_timed_use.use(db.session, shop["cashier_a"], purchase.id, store_id=shop["store_a"].id, method="scan",
                            key="x")
    assert held.id == purchase.extended_into_id


def test_is_a_timed_card_not_started_yet_refused_until_its_day(db, shop):
    template = timed_template(db, shop["owner"], start_mode="after_days", start_after_days=3)
    card = give(db, shop, template, "t12", tier_key="month")
    with pytest.raises(Conflict, match="起可用"):
        count_timed_use.use(db.session, shop["cashier_a"], card.id, store_id=shop["store_a"].id, method="scan", key="x")
    count_timed_use.use(db.session, shop["cashier_a"], card.id, store_id=shop["store_a"].id, method="scan", key="y",
                        now=now_utc() + timedelta(days=4))
    assert db.session.get(Card, card.id).state == "active"


def test_is_a_timed_card_with_a_photo_check_refused_until_the_member_uploads_one(db, shop, tmp_path):
    card = give(db, shop, timed_template(db, shop["owner"], photo_required=True), "t13", tier_key="month")
    with pytest.raises(Conflict, match="会员尚未上传照片"):
        count_timed_use.use(db.session, shop["cashier_a"], card.id, store_id=shop["store_a"].id, method="scan", key="x")
    count_timed_photos.save_photo(db.session, shop["merchant"].id, shop["member"].id, card.id,
                                  b"\xff\xd8\xff\xe0" + b"0" * 100, str(tmp_path))
    count_timed_use.use(db.session, shop["cashier_a"], card.id, store_id=shop["store_a"].id, method="scan", key="y")


def test_does_stock_run_out_for_card_sales(app, db, make, shop):
    template = count_template(db, shop["owner"], stock_total=5)
    people = [make.member(shop["merchant"]).id for _ in range(20)]
    db.session.commit()
    merchant_id, template_id = shop["merchant"].id, template.id

    def buy(session, index):
        return count_timed_issue.issue(session, session.get(Merchant, merchant_id), template_id, people[index],
                                       channel="purchase", key=f"s:{index}").id

    done, refused = run_concurrently(app, 20, buy)
    assert len(done) == 5 and all(e.message == "该卡已售罄" for e in refused)
    db.session.expire_all()
    assert db.session.get(CardTemplate, template_id).stock_issued == 5


def test_can_a_cashier_of_store_b_use_a_card_valid_only_in_store_a(db, shop):
    template = count_template(db, shop["owner"], store_ids=[shop["store_a"].id])
    card = give(db, shop, template, "c5")
    with pytest.raises(PermissionDenied, match="所属门店"):
        count_timed_use.use(db.session, shop["cashier_b"], card.id, store_id=shop["store_a"].id, method="scan", key="x")
    with pytest.raises(Conflict, match="不能在本门店使用"):
        count_timed_use.use(db.session, shop["cashier_b"], card.id, store_id=shop["store_b"].id, method="scan", key="y")
    assert db.session.get(Card, card.id).uses_left == 10
    assert instruments.lookup(db.session, shop["merchant"].id, card.code, shop["store_b"].id).reason \
        == "该次卡不能在本门店使用"


def test_do_another_merchants_staff_get_not_found_for_a_card(db, make, shop):
    card = give(db, shop, count_template(db, shop["owner"]), "c6")
    other = make.merchant()
    other_store = make.store(other)
    other_owner = make.staff(other, role="owner")
    with pytest.raises(NotFound):
        count_timed_use.use(db.session, other_owner, card.id, store_id=other_store.id, method="manual", key="x")
    with pytest.raises(NotFound):
        instruments.lookup(db.session, other.id, card.code, other_store.id)
    with pytest.raises(NotFound):
        count_timed_closing.void(db.session, other_owner, card.id)
    with pytest.raises(NotFound):
        count_timed_issue.issue(db.session, other, card.template_id, shop["member"].id, channel="staff", key="y")
    assert db.session.get(Card, card.id).uses_left == 10


def test_does_the_staff_lookup_describe_a_count_card_with_uses_to_take(app, db, shop):
    card = give(db, shop, count_template(db, shop["owner"]), "c7")
    found = instruments.lookup(db.session, shop["merchant"].id, card.code, shop["store_a"].id)
    assert (found.kind, found.take, found.take_max, found.reason) == ("count_card", "uses", 10, None)
    assert ("剩余次数", "10 / 10 次") in found.details
    record = instruments.verify(db.session, shop["cashier_a"], card.code, store_id=shop["store_a"].id,
                                method="manual", key="v", quantity=3)
    assert record.quantity == 3 and db.session.get(Card, card.id).uses_left == 7


def test_does_the_staff_lookup_show_a_signed_photo_link_for_a_timed_card(app, db, shop, tmp_path):
    card = give(db, shop, timed_template(db, shop["owner"], photo_required=True), "t14", tier_key="month")
    count_timed_photos.save_photo(db.session, shop["merchant"].id, shop["member"].id, card.id,
                                  b"\x89PNG\r\n\x1a\n" + b"0" * 10, str(tmp_path))
    with app.test_request_context():
        found = instruments.lookup(db.session, shop["merchant"].id, card.code, shop["store_a"].id)
    assert found.kind == "timed_card" and found.reason is None
    assert found.photo_url.startswith(f"/h5/{shop['merchant'].slug}/cards/photo/")
    token = found.photo_url.rsplit("/", 1)[1]
    assert count_timed_photos.photo_file(db.session, shop["merchant"].id, token, str(tmp_path)).endswith(".png")
    with pytest.raises(NotFound):
        count_timed_photos.photo_file(db.session, shop["merchant"].id + 1, token, str(tmp_path))
    with pytest.raises(NotFound, match="已过期"):
        count_timed_photos.photo_file(db.session, shop["merchant"].id, token, str(tmp_path), max_age=-1)


def test_is_a_voided_card_refused_and_audited(db, shop):
    card = give(db, shop, count_template(db, shop["owner"]), "c8")
    count_timed_closing.void(db.session, shop["owner"], card.id)
    with pytest.raises(Conflict, match="已作废"):
        count_timed_use.use(db.session, shop["cashier_a"], card.id, store_id=shop["store_a"].id, method="scan", key="x")
    with pytest.raises(Conflict, match="不能作废"):
        count_timed_closing.void(db.session, shop["owner"], card.id)


@pytest.mark.parametrize("values,message", [
    (dict(kind="count", title="次卡", uses=0, service_name="洗车"), "次卡次数须在"),
    (dict(kind="count", title="次卡", uses=5, service_name=""), "请填写次卡的服务项目"),
    (dict(kind="timed", title="时长卡", tiers=[]), "至少需要一个时长档位"),
    (dict(kind="timed", title="时长卡", tiers=[MONTH], daily_limit=0), "每日限用次数"),
    (dict(kind="count", title="次卡", uses=5, service_name="洗车", cover_color="red"), "封面颜色"),
    (dict(kind="gift", title="礼品卡"), "未知的卡类型"),
])
def test_are_bad_templates_refused(db, shop, values, message):
    with pytest.raises(DomainError, match=message):
        count_timed_templates.save_template(db.session, shop["owner"], None, **values)
