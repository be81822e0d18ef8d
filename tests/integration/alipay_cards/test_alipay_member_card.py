"""The member card in Alipay's card package end to end through the sandbox: the face saved for WeChat becomes an
Alipay template (created, then modified), a member opens the card by their Alipay user id, and their balance, points
and level reach it with the card push; a card the user deleted stops; other merchants' members are untouched; a
storm of changes ends in a few calls; the till finds the member by the card's number."""
import time

import pytest
from sqlalchemy import select

from domain import roles
from domain.errors import NotFound
from models import AlipayCardHolding, SandboxAlipayCard, SandboxAlipayCardTemplate
from sandbox import wechat_state as sbx
from sandbox.alipay_keys import provision_merchant
from services.alipay_cards import opening, template
from services.card_push import push
from services.members import levels
from services.points import ledger as points
from services.till import quote
from services.wallet import journal as wallet
from services.wechat_cards import face
from tests.integration.card_push.support import pending_rows, push_all


def open_shop(make, db, slug):
    merchant = provision_merchant(db.session, make.merchant(slug=slug, name=f"{slug}店"))
    face.save(db.session, make.staff(merchant, role=roles.OWNER), merchant, **face.defaults(merchant))
    db.session.commit()  # the sandbox (another thread) knows the app's key by now
    assert template.sync(db.session, merchant) is True, template.template_for(db.session, merchant.id).sync_error
    db.session.commit()
    return merchant


def member_with_card(make, db, merchant, principal=0):
    member = make.member(merchant)
    purse = make.wallet(merchant, member, principal=principal)
    user_id = sbx.create_alipay_user(db.session, merchant.alipay_app_id, "会员").user_key
    db.session.commit()
    holding = opening.open_card(db.session, merchant, member, user_id)
    db.session.commit()
    return member, purse, holding.biz_card_no


def on_card(db, number):
    db.session.expire_all()
    return db.session.scalars(select(SandboxAlipayCard).where(SandboxAlipayCard.biz_card_no == number)).one()


@pytest.fixture()
def shop(make, db, live_server):
    return open_shop(make, db, "tea")


def test_is_the_template_created_from_the_face_and_modified_on_the_next_save(shop, make, db):
    row = db.session.scalars(select(SandboxAlipayCardTemplate)).one()
    assert row.app_id == shop.alipay_app_id
    assert row.payload["template_style_info"]["card_show_name"] == "tea店会员卡"
    assert row.payload["template_style_info"]["bg_color"] == "rgb(99,179,89)"
    assert [column["code"] for column in row.payload["column_info_list"]] == ["LEVEL", "COUPONS", "MEMBERSHIP"]
    values = {**face.defaults(shop), "title": "茶友卡", "color": "Color100", "supply_balance": False}
    face.save(db.session, make.staff(shop, role=roles.OWNER), shop, **values)
    db.session.commit()
    assert template.sync(db.session, shop) is True
    db.session.commit()
    db.session.expire_all()
    row = db.session.scalars(select(SandboxAlipayCardTemplate)).one()
    assert (row.updates, row.payload["template_style_info"]["card_show_name"]) == (1, "茶友卡")
    assert {rule["field_name"] for rule in row.payload["field_rule_list"]} == {"Level", "Point"}
    saved = template.template_for(db.session, shop.id)
    assert (saved.template_id, saved.sync_error) == (row.template_id, None)
    assert template.sync_state(saved, face.card_for(db.session, shop.id)) == "synced"


def test_is_a_refused_sync_kept_in_alipays_words(make, db, live_server):
    merchant = open_shop(make, db, "cafe")
    other = provision_merchant(db.session, make.merchant(name="别家"))
    merchant.alipay_private_key = other.alipay_private_key  # signed with a key Alipay does not know for this app
    face.save(db.session, make.staff(merchant, role=roles.OWNER), merchant, **face.defaults(merchant))
    db.session.commit()
    assert template.sync(db.session, merchant) is False
    saved = template.template_for(db.session, merchant.id)
    assert "验签出错" in saved.sync_error
    assert template.sync_state(saved, face.card_for(db.session, merchant.id)) == "failed"


def test_does_opening_put_the_members_figures_on_the_card_once(shop, make, db):
    member = make.member(shop)
    make.wallet(shop, member, principal=12_345)
    points.earn(db.session, shop, member.id, 30, key="earn:open")
    user_id = sbx.create_alipay_user(db.session, shop.alipay_app_id, "会员").user_key
    db.session.commit()
    holding = opening.open_card(db.session, shop, member, user_id)
    db.session.commit()
    card = on_card(db, holding.biz_card_no)
    assert (card.user_id, card.point, card.balance, card.level) == (user_id, "30", "123.45", "普通")
    assert opening.open_card(db.session, shop, member, user_id).id == holding.id  # a second tap: the same card
    db.session.commit()
    assert len(db.session.scalars(select(SandboxAlipayCard)).all()) == 1
    other = open_shop(make, db, "cafe")
    with pytest.raises(NotFound):
        opening.open_card(db.session, other, member, user_id)


def test_does_a_payments_balance_points_and_level_reach_the_alipay_card(shop, make, db):
    member, purse, number = member_with_card(make, db, shop, principal=10_000)
    push_all(db)
    before = on_card(db, number).updates
    wallet.debit(db.session, shop.id, purse.id, 2_500, key="pay:1")
    points.earn(db.session, shop, member.id, 25, key="earn:1")
    gold = next(level for level in levels.list_levels(db.session, shop.id) if level.name == "金卡")
    levels.set_level_manually(db.session, make.staff(shop), member, gold.id, "大客户")
    db.session.commit()
    [row] = pending_rows(db)
    assert (row.member_id, row.changes) == (member.id, 1)
    assert push_all(db) == {"pushed": 1, "failed": 0, "changed": 0}
    card = on_card(db, number)
    assert (card.balance, card.point, card.level, card.updates) == ("75.00", "25", "金卡", before + 1)
    assert pending_rows(db) == []


def test_does_a_card_the_user_deleted_stop_being_pushed(shop, make, db):
    member, purse, number = member_with_card(make, db, shop, principal=1_000)
    push_all(db)
    on_card(db, number).state = "deleted"  # the user removed it from their Alipay card package
    wallet.debit(db.session, shop.id, purse.id, 100, key="pay:gone")
    db.session.commit()
    assert push_all(db) == {"pushed": 1, "failed": 0, "changed": 0}
    holding = db.session.scalars(select(AlipayCardHolding).where(AlipayCardHolding.biz_card_no == number)).one()
    assert holding.state == "deleted" and pending_rows(db) == []
    wallet.debit(db.session, shop.id, purse.id, 100, key="pay:after")
    db.session.commit()
    assert pending_rows(db) == []
    again = opening.open_card(db.session, shop, member, on_card(db, number).user_id)  # the member opens it again
    db.session.commit()
    assert again.biz_card_no != number and again.out_serial_no.endswith("n1")
    assert on_card(db, again.biz_card_no).balance == "8.00"


def test_does_a_failed_update_stay_queued_with_alipays_words(shop, make, db, app):
    member, purse, number = member_with_card(make, db, shop, principal=1_000)
    push_all(db)
    wallet.debit(db.session, shop.id, purse.id, 300, key="pay:down")
    db.session.commit()
    saved = app.config["ALIPAY_GATEWAY"]
    app.config["ALIPAY_GATEWAY"] = "http://127.0.0.1:9/gateway.do"  # nothing listens: Alipay unreachable
    try:
        assert push_all(db)["failed"] == 1
    finally:
        app.config["ALIPAY_GATEWAY"] = saved
    [row] = pending_rows(db)
    assert row.attempts == 1 and "无法连接支付宝服务器" in row.last_error
    assert on_card(db, number).balance == "10.00"


def test_does_a_push_for_one_merchant_leave_anothers_members_alone(shop, make, db):
    other = open_shop(make, db, "cafe")
    ours, our_purse, our_number = member_with_card(make, db, shop, principal=1_000)
    theirs, their_purse, their_number = member_with_card(make, db, other, principal=1_000)
    push_all(db)
    wallet.debit(db.session, shop.id, our_purse.id, 100, key="pay:ours")
    wallet.debit(db.session, other.id, their_purse.id, 200, key="pay:theirs")
    db.session.commit()
    assert push.push_merchant(db.session, shop, time.monotonic() + 30)["pushed"] == 1
    db.session.commit()
    assert on_card(db, our_number).balance == "9.00" and on_card(db, their_number).balance == "10.00"
    assert [(row.merchant_id, row.member_id) for row in pending_rows(db)] == [(other.id, theirs.id)]


def test_do_a_hundred_changes_end_on_the_card_in_few_calls(shop, make, db):
    member, purse, number = member_with_card(make, db, shop, principal=100_000)
    push_all(db)
    calls_before = on_card(db, number).updates
    for n in range(100):
        wallet.debit(db.session, shop.id, purse.id, 7, key=f"storm:{n}")
        db.session.commit()
        if n % 25 == 24:
            push_all(db)
    push_all(db)
    card = on_card(db, number)
    assert card.balance == "993.00" and pending_rows(db) == []
    assert 1 <= card.updates - calls_before <= 5


def test_does_the_till_find_the_member_by_the_alipay_card_number(shop, make, db):
    member, _, number = member_with_card(make, db, shop)
    found, refusal = quote.identify(db.session, shop, number)
    assert found.id == member.id and refusal is None
    other = open_shop(make, db, "cafe")
    with pytest.raises(NotFound):
        quote.identify(db.session, other, number)
