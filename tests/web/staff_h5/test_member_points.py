"""手动增减积分 on the staff page: the merchant's two switches in 收银设置 decide whether the found member's page
offers adding and deducting points; with a switch on a cashier may, a verifier never; every change has a reason,
the operator and the store; a double tap adjusts once; a deduction never goes below zero; another merchant's member
is 404; bad input is answered in Chinese with nothing changed."""
import pytest
from sqlalchemy import select

from domain import roles
from models import PointsTransaction
from services.points import ledger
from services.till import settings as till_settings
from tests.web.helpers import count, text_of
from tests.web.staff_h5.test_counter_topup import fields
from tests.web.staff_h5.test_staff_h5 import staff_login

PHONE = "13912345678"


@pytest.fixture()
def shop(db, make):
    merchant = make.merchant(name="积分咖啡")
    east = make.store(merchant, "东门店")
    owner = make.staff(merchant, role=roles.OWNER, username="boss")
    cashier = make.staff(merchant, role=roles.CASHIER, username="east", stores_=[east])
    verifier = make.staff(merchant, role=roles.VERIFIER, username="checker", stores_=[east])
    guide = make.staff(merchant, role=roles.GUIDE, username="guide", stores_=[east])
    member = make.member(merchant, mobile=PHONE, name="王小明")
    ledger.earn(db.session, merchant, member.id, 100, key="seed:points")
    other = make.merchant(name="隔壁")
    stranger = make.member(other, mobile="13700000000")
    ledger.earn(db.session, other, stranger.id, 50, key="seed:stranger")
    db.session.commit()
    return dict(merchant=merchant, east=east, owner=owner, cashier=cashier, verifier=verifier, guide=guide,
                member=member, other=other, stranger=stranger)


def switch(db, shop, add, deduct):
    row = till_settings.settings_of(db.session, shop["merchant"].id)
    row.staff_add_points, row.staff_deduct_points = add, deduct
    db.session.commit()


def balance(db, member):
    db.session.expire_all()
    db.session.refresh(member)
    return member.points_balance


def page(client, shop):
    return client.get(f"/staff/members/{shop['member'].id}/points")


def post(client, shop, member=None, **data):
    form = fields(text_of(page(client, shop)), "points-form")
    return client.post(f"/staff/members/{(member or shop['member']).id}/points", data={**form, **data})


def test_is_the_counter_entry_refused_while_the_merchant_has_not_switched_it_on(client, db, shop):
    staff_login(client, shop["cashier"])
    found = text_of(client.post("/staff/members", data={"code": PHONE}))
    assert 'id="member-points"' not in found
    refused = page(client, shop)
    assert refused.status_code == 403 and "未开启店员手动增减积分" in text_of(refused)
    sent = client.post(f"/staff/members/{shop['member'].id}/points",
                       data={"direction": "add", "points": "10", "reason": "补录", "key": "counter-points:x"})
    assert sent.status_code == 403 and balance(db, shop["member"]) == 100


def test_can_a_cashier_add_points_with_a_reason_recorded_with_operator_and_store(client, db, shop):
    switch(db, shop, add=True, deduct=False)
    staff_login(client, shop["cashier"])
    found = text_of(client.post("/staff/members", data={"code": PHONE}))
    assert 'id="member-points"' in found
    body = text_of(page(client, shop))
    assert 'id="points-add"' in body and 'id="points-deduct"' not in body and 'id="points-balance">100<' in body
    done = post(client, shop, direction="add", points="30", reason="补录消费积分")
    assert done.status_code == 302, text_of(done)
    after = text_of(client.get(done.headers["Location"]))
    assert "已增加 30 积分，当前积分 130" in after and "补录消费积分" in after
    assert balance(db, shop["member"]) == 130
    txn = db.session.scalars(select(PointsTransaction).where(PointsTransaction.kind == "adjust")).one()
    assert (txn.amount, txn.note, txn.operator_id, txn.store_id) == (30, "补录消费积分", shop["cashier"].id,
                                                                       shop["east"].id)
    # deducting stays off while only adding is switched on
    refused = post(client, shop, direction="deduct", points="5", reason="兑换")
    assert refused.status_code == 403 and "未开启店员手动扣减积分" in text_of(refused)
    assert balance(db, shop["member"]) == 130


def test_does_a_double_submit_add_once(client, db, shop):
    switch(db, shop, add=True, deduct=True)
    staff_login(client, shop["cashier"])
    form = {**fields(text_of(page(client, shop)), "points-form"), "direction": "add", "points": "40", "reason": "活动"}
    first = client.post(f"/staff/members/{shop['member'].id}/points", data=form)
    again = client.post(f"/staff/members/{shop['member'].id}/points", data=form)
    assert first.status_code == again.status_code == 302
    assert balance(db, shop["member"]) == 140 and count(PointsTransaction) == 3  # two seeds and one adjustment


def test_is_a_deduction_beyond_the_balance_refused_and_one_within_it_taken(client, db, shop):
    switch(db, shop, add=False, deduct=True)
    staff_login(client, shop["cashier"])
    too_much = post(client, shop, direction="deduct", points="101", reason="兑换礼品")
    assert too_much.status_code == 409 and "积分" in text_of(too_much) and balance(db, shop["member"]) == 100
    taken = post(client, shop, direction="deduct", points="100", reason="兑换礼品")
    assert taken.status_code == 302 and balance(db, shop["member"]) == 0


@pytest.mark.parametrize("role_key", ["verifier", "guide"])
def test_are_verifiers_and_guides_refused_even_when_switched_on(client, db, shop, role_key):
    switch(db, shop, add=True, deduct=True)
    if role_key == "guide":  # a guide sees only their own members: this one is theirs, and still refused
        shop["member"].guide_id = shop["guide"].id
        db.session.commit()
    staff_login(client, shop[role_key])
    refused = page(client, shop)
    assert refused.status_code == 403 and "您的角色不能调整会员积分" in text_of(refused)
    sent = client.post(f"/staff/members/{shop['member'].id}/points",
                       data={"direction": "add", "points": "10", "reason": "x", "key": "counter-points:y"})
    assert sent.status_code == 403 and balance(db, shop["member"]) == 100


def test_is_another_merchants_member_404_and_untouched(client, db, shop):
    switch(db, shop, add=True, deduct=True)
    staff_login(client, shop["owner"], shop["east"])
    assert client.get(f"/staff/members/{shop['stranger'].id}/points").status_code == 404
    sent = post(client, shop, member=shop["stranger"], direction="deduct", points="10", reason="越权")
    assert sent.status_code == 404 and balance(db, shop["stranger"]) == 50


@pytest.mark.parametrize("data, message", [
    (dict(points="0"), "积分须为 1 到 100000000 之间的整数"),
    (dict(points="-5"), "积分须为 1 到 100000000 之间的整数"),
    (dict(points="100000001"), "积分须为 1 到 100000000 之间的整数"),
    (dict(points="9" * 40), "积分须为 1 到 100000000 之间的整数"),
    (dict(points="１２"), "积分须为 1 到 100000000 之间的整数"),
    (dict(points="abc"), "积分须为 1 到 100000000 之间的整数"),
    (dict(points=""), "请填写积分"),
    (dict(reason=""), "请填写调整原因"),
    (dict(reason="原" * 201), "调整原因不能超过 200 字"),
    (dict(reason="补\x00录"), ""),
    (dict(direction="steal"), "请选择增加或扣减积分"),
    (dict(key=""), "页面已过期"),
    (dict(key="k" * 101), "页面已过期"),
])
def test_is_bad_input_refused_in_chinese_with_nothing_changed(client, db, shop, data, message):
    switch(db, shop, add=True, deduct=True)
    staff_login(client, shop["cashier"])
    sent = post(client, shop, **{"direction": "add", "points": "10", "reason": "补录", **data})
    assert sent.status_code == 400 and message in text_of(sent)
    assert balance(db, shop["member"]) == 100 and count(PointsTransaction) == 2
