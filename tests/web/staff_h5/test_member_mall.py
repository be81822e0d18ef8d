"""积分兑换 on the staff page (POS积分商城): from a found member, a cashier sees the gifts at the member's level price
with stock, exchanges one and hands it over at once in the store (a verification record, the points spent with
operator and store); a double tap exchanges once; a sold-out gift, a level priced 0 and too few points are refused
with a clear message and nothing changed; an unclaimed exchange made in H5 is cancelled with the points back once;
another merchant's member, gift or exchange is 404 before any role is looked at; roles without the permission are
told so, and a guide never reaches another guide's member."""
import pytest
from sqlalchemy import select

from domain import roles
from models import GiftExchange, Member, PointsGift, PointsTransaction, Verification
from services.members.levels import list_levels
from services.points import ledger
from services.points_mall import exchanges, gifts
from tests.web.helpers import count, text_of
from tests.web.staff_h5.test_counter_topup import fields
from tests.web.staff_h5.test_staff_h5 import staff_login

PHONE = "13912345601"


@pytest.fixture()
def shop(db, make):
    merchant = make.merchant(name="积分商城咖啡")
    east = make.store(merchant, "东门店")
    owner = make.staff(merchant, role=roles.OWNER, username="boss")
    cashier = make.staff(merchant, role=roles.CASHIER, username="east", stores_=[east])
    verifier = make.staff(merchant, role=roles.VERIFIER, username="checker", stores_=[east])
    service = make.staff(merchant, role=roles.CUSTOMER_SERVICE, username="cs")
    guide = make.staff(merchant, role=roles.GUIDE, username="guide", stores_=[east])
    member = make.member(merchant, mobile=PHONE, name="王小明")
    ledger.earn(db.session, merchant, member.id, 100, key="seed:points")
    levels = list_levels(db.session, merchant.id)
    prices = {str(level.id): 30 for level in levels}
    cup = gifts.save(db.session, owner, None, gifts.GiftValues(number="G1", name="马克杯", stock=5, prices=prices))
    gone = gifts.save(db.session, owner, None, gifts.GiftValues(number="G2", name="帆布袋", stock=0, prices=prices))
    dear = gifts.save(db.session, owner, None, gifts.GiftValues(number="G3", name="咖啡机", stock=2,
                                                                      prices={k: 5000 for k in prices}))
    gold_only = {str(level.id): (50 if level.name == "金卡" else 0) for level in levels}
    gold = gifts.save(db.session, owner, None, gifts.GiftValues(number="G4", name="金卡礼盒", stock=3,
                                                                      prices=gold_only))
    other = make.merchant(name="隔壁")
    other_owner = make.staff(other, role=roles.OWNER, username="otherboss")
    stranger = make.member(other, mobile="13700000601")
    foreign = gifts.save(db.session, other_owner, None, gifts.GiftValues(
        number="X1", name="隔壁礼品", stock=5, prices={str(level.id): 1 for level in list_levels(db.session, other.id)}))
    db.session.commit()
    return dict(merchant=merchant, east=east, owner=owner, cashier=cashier, verifier=verifier, service=service,
                guide=guide, member=member, cup=cup, gone=gone, dear=dear, gold=gold, other=other,
                stranger=stranger, foreign=foreign)


def mall(client, shop, member=None):
    return client.get(f"/staff/members/{(member or shop['member']).id}/mall")


def exchange(client, shop, gift, data):
    return client.post(f"/staff/members/{shop['member'].id}/mall/gifts/{gift.id}", data=data)


def balance(db, member):
    db.session.expire_all()
    return db.session.get(Member, member.id).points_balance


def stock(db, gift):
    db.session.expire_all()
    return db.session.get(PointsGift, gift.id).stock


def test_does_a_cashier_exchange_from_the_found_member_and_hand_the_gift_over_at_once(client, db, shop):
    staff_login(client, shop["cashier"])
    found = text_of(client.post("/staff/members", data={"code": PHONE}))
    assert 'id="member-mall"' in found
    page = text_of(mall(client, shop))
    assert "马克杯" in page and "30 积分" in page and "剩余 5 件" in page and "100" in page
    done = exchange(client, shop, shop["cup"], fields(page, f"mall-form-{shop['cup'].id}"))
    assert done.status_code == 302
    after = text_of(client.get(done.headers["Location"]))
    assert "已为会员兑换「马克杯」，扣 30 积分，礼品已在 东门店 交付" in after
    row = db.session.scalars(select(GiftExchange)).one()
    assert (row.state, row.store_id, row.staff_id) == ("handed_over", shop["east"].id, shop["cashier"].id)
    record = db.session.get(Verification, row.verification_id)
    assert (record.instrument_type, record.store_id, record.staff_id) == ("gift_exchange", shop["east"].id,
                                                                          shop["cashier"].id)
    spent = db.session.scalars(select(PointsTransaction).where(PointsTransaction.amount < 0)).one()
    assert (spent.amount, spent.operator_id, spent.store_id) == (-30, shop["cashier"].id, shop["east"].id)
    assert balance(db, shop["member"]) == 70 and stock(db, shop["cup"]) == 4


def test_does_a_double_tap_exchange_once(client, db, shop):
    staff_login(client, shop["cashier"])
    form = fields(text_of(mall(client, shop)), f"mall-form-{shop['cup'].id}")
    first, second = exchange(client, shop, shop["cup"], form), exchange(client, shop, shop["cup"], form)
    assert first.status_code == second.status_code == 302
    assert count(GiftExchange) == 1 and count(Verification) == 1
    assert balance(db, shop["member"]) == 70 and stock(db, shop["cup"]) == 4


def test_is_a_sold_out_gift_refused_clearly_with_nothing_changed(client, db, shop):
    staff_login(client, shop["cashier"])
    page = text_of(mall(client, shop))
    assert "已兑完" in page and f'id="mall-form-{shop["gone"].id}"' not in page
    refused = exchange(client, shop, shop["gone"], {"key": "counter-mall:sold-out-0001"})
    assert refused.status_code == 409 and "礼品已兑完" in text_of(refused)
    assert count(GiftExchange) == 0 and balance(db, shop["member"]) == 100


def test_does_a_level_priced_zero_name_the_level(client, db, shop):
    staff_login(client, shop["cashier"])
    level = db.session.get(Member, shop["member"].id).level.name
    page = text_of(mall(client, shop))
    assert f"{level}会员不可兑换该礼品" in page and "本等级不可兑" in page
    refused = exchange(client, shop, shop["gold"], {"key": "counter-mall:level-0001"})
    assert refused.status_code == 409 and f"{level}会员不可兑换该礼品" in text_of(refused)
    assert count(GiftExchange) == 0 and balance(db, shop["member"]) == 100 and stock(db, shop["gold"]) == 3


def test_are_too_few_points_refused_with_the_price(client, db, shop):
    staff_login(client, shop["cashier"])
    assert "积分不足，需要 5000 积分" in text_of(mall(client, shop))
    refused = exchange(client, shop, shop["dear"], {"key": "counter-mall:dear-0001"})
    assert refused.status_code == 409 and "积分不足，需要 5000 积分" in text_of(refused)
    assert count(GiftExchange) == 0 and stock(db, shop["dear"]) == 2


def test_does_cancelling_an_unclaimed_exchange_give_the_points_back_once(client, db, shop):
    row = exchanges.exchange(db.session, shop["merchant"], shop["cup"].id, shop["member"].id, key="h5:cup:1")
    db.session.commit()
    staff_login(client, shop["cashier"])
    picked = text_of(client.post("/staff/lookup", data={"code": row.pickup_code, "via": "manual"}))
    assert 'id="item-cancel-link"' in picked
    page = text_of(mall(client, shop))
    assert f'id="mall-cancel-{row.id}"' in page and "data-confirm" in page
    url = f"/staff/members/{shop['member'].id}/mall/exchanges/{row.id}/cancel"
    done = client.post(url)
    assert done.status_code == 302 and "已取消兑换「马克杯」，30 积分已退回会员" in text_of(client.get(done.headers["Location"]))
    again = client.post(url)
    assert again.status_code == 409 and "已取消" in text_of(again)
    db.session.expire_all()
    assert db.session.get(GiftExchange, row.id).state == "cancelled"
    assert balance(db, shop["member"]) == 100 and stock(db, shop["cup"]) == 5
    assert count(PointsTransaction, PointsTransaction.kind == "reverse") == 1


def test_is_another_merchants_member_gift_or_exchange_not_found_before_any_role(client, db, make, shop):
    ledger.earn(db.session, shop["other"], shop["stranger"].id, 10, key="x:points")
    theirs = exchanges.exchange(db.session, shop["other"], shop["foreign"].id, shop["stranger"].id, key="x:1")
    someone = make.member(shop["merchant"], mobile="13912345602")
    db.session.commit()
    for staff in (shop["cashier"], shop["verifier"]):
        client.post("/staff/logout")
        staff_login(client, staff)
        assert mall(client, shop, shop["stranger"]).status_code == 404
        assert client.post(f"/staff/members/{shop['stranger'].id}/mall/gifts/{shop['cup'].id}",
                           data={"key": "k:000000001"}).status_code == 404
        assert exchange(client, shop, shop["foreign"], {"key": "k:000000002"}).status_code == 404
        assert client.post(f"/staff/members/{shop['member'].id}/mall/exchanges/{theirs.id}/cancel").status_code == 404
        assert client.post(f"/staff/members/{someone.id}/mall/exchanges/{theirs.id}/cancel").status_code == 404
    assert count(GiftExchange) == 1 and stock(db, shop["foreign"]) == 4


def test_are_roles_without_the_permission_told_and_a_guide_kept_to_their_own(client, db, shop):
    staff_login(client, shop["verifier"])
    refused = mall(client, shop)
    assert refused.status_code == 403 and "不能为会员兑换积分礼品" in text_of(refused)
    assert exchange(client, shop, shop["cup"], {"key": "k:000000003"}).status_code == 403
    client.post("/staff/logout")
    staff_login(client, shop["guide"])
    assert mall(client, shop).status_code == 404  # not their member
    shop["member"].guide_id = shop["guide"].id
    db.session.commit()
    assert mall(client, shop).status_code == 403
    assert count(GiftExchange) == 0 and balance(db, shop["member"]) == 100


def test_does_the_member_details_page_offer_the_exchange_to_those_who_may(client, db, shop):
    staff_login(client, shop["cashier"])
    assert 'id="detail-mall"' in text_of(client.get(f"/staff/members/{shop['member'].id}/detail"))
    client.post("/staff/logout")
    staff_login(client, shop["service"], store=shop["east"])
    assert 'id="detail-mall"' not in text_of(client.get(f"/staff/members/{shop['member'].id}/detail"))
