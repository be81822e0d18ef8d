"""积分商城 in H5: the mall lists gifts and points coupons, a gift's page exchanges once per form, the pick-up code
page shows the QR and number, 我的兑换, cancelling gives the points back, a level priced 0 is refused by name, and
another member's or merchant's exchange is not found."""
import re

from domain import roles
from extensions import db
from models import GiftExchange, PointsGift
from services.members.levels import list_levels
from services.points import ledger as points
from services.cards import count_timed_templates
from services.points_mall import exchanges, gifts
from tests.web.member_h5 import test_h5_support
from tests.web.helpers import fresh, text_of, wechat_member, wechat_phone

shop = test_h5_support.shop  # the fixture
OPENID = "o-points-mall-00000000000000000001"


def _gift(make, merchant, price=50, zero_for=None, **values):
    owner = make.staff(merchant, role=roles.OWNER)
    prices = {str(level.id): (0 if level.name == zero_for else price) for level in list_levels(db.session, merchant.id)}
    gift = gifts.save(db.session, owner, None, gifts.GiftValues(
        number=values.pop("number", "G1"), name=values.pop("name", "帆布袋"), stock=values.pop("stock", 5),
        prices=prices, **values))
    db.session.commit()
    return gift


def _member(make, shop, amount=300):
    member = wechat_member(make, shop, OPENID, mobile="13600000077")
    points.earn(db.session, shop, member.id, amount, key="earn:mall")
    db.session.commit()
    return member


def test_can_a_member_exchange_a_gift_and_see_the_pickup_code(client, make, shop):
    gift = _gift(make, shop)
    member = _member(make, shop)
    phone = wechat_phone(client, shop, OPENID)
    before = fresh(member).points_balance
    mall = text_of(phone.get(f"/h5/{shop.slug}/member/mall"))
    assert "帆布袋" in mall and "50 积分" in mall
    assert "积分商城" in text_of(phone.get(f"/h5/{shop.slug}/member"))
    page = text_of(phone.get(f"/h5/{shop.slug}/member/mall/gifts/{gift.id}"))
    key = re.search(r'name="key"[^>]*value="([^"]+)"', page).group(1)
    url = f"/h5/{shop.slug}/member/mall/gifts/{gift.id}"
    done = phone.post(url, data={"key": key}, follow_redirects=True)
    phone.post(url, data={"key": key})  # a double submit
    body = text_of(done)
    row = db.session.query(GiftExchange).one()
    assert "兑换成功" in body and "<svg" in done.get_data(as_text=True) and row.pickup_code[:4] in body
    assert fresh(member).points_balance == before - 50 and fresh(gift).stock == 4
    assert "帆布袋" in text_of(phone.get(f"/h5/{shop.slug}/member/mall/exchanges"))
    cancelled = phone.post(f"/h5/{shop.slug}/member/mall/exchanges/{row.id}/cancel", follow_redirects=True)
    assert "50 积分已退回" in text_of(cancelled) and fresh(member).points_balance == before
    assert fresh(gift).stock == 5


def test_is_a_level_priced_zero_refused_by_name_on_the_gift_page(client, make, shop):
    member = _member(make, shop)
    base = fresh(member).level.name
    gift = _gift(make, shop, zero_for=base)
    phone = wechat_phone(client, shop, OPENID)
    assert f"{base}会员不可兑换该礼品" in text_of(phone.get(f"/h5/{shop.slug}/member/mall/gifts/{gift.id}"))
    refused = phone.post(f"/h5/{shop.slug}/member/mall/gifts/{gift.id}", data={"key": "gift:forced"},
                         follow_redirects=True)
    assert f"{base}会员不可兑换该礼品" in text_of(refused) and db.session.query(GiftExchange).count() == 0


def test_are_other_members_and_merchants_exchanges_not_found(client, make, shop):
    gift = _gift(make, shop)
    _member(make, shop)
    someone = make.member(shop)
    points.earn(db.session, shop, someone.id, 100, key="earn:someone")
    theirs = exchanges.exchange(db.session, shop, gift.id, someone.id, key="theirs")
    other = make.merchant()
    other_gift = _gift(make, other, number="X1")
    db.session.commit()
    phone = wechat_phone(client, shop, OPENID)
    assert phone.get(f"/h5/{shop.slug}/member/mall/exchanges/{theirs.id}").status_code == 404
    assert phone.post(f"/h5/{shop.slug}/member/mall/exchanges/{theirs.id}/cancel").status_code in (302, 404)
    assert fresh(theirs).state == "pending"
    assert phone.get(f"/h5/{shop.slug}/member/mall/gifts/{other_gift.id}").status_code == 404
    assert phone.post(f"/h5/{shop.slug}/member/mall/gifts/{other_gift.id}", data={"key": "k"}).status_code in (302, 404)
    assert fresh(other_gift).stock == 5 and db.session.query(PointsGift).count() == 2


def test_does_a_card_gift_land_in_the_card_package_with_a_link_to_it(client, make, shop):
    owner = make.staff(shop, role=roles.OWNER, username="mall-cards")
    template = count_timed_templates.save_template(db.session, owner, None, kind="count", title="洗车十次卡",
                                                   service_name="精洗", uses=10, price=19900)
    gift = _gift(make, shop, name="洗车十次卡", number="C1", card_template_id=template.id)
    _member(make, shop)
    phone = wechat_phone(client, shop, OPENID)
    url = f"/h5/{shop.slug}/member/mall/gifts/{gift.id}"
    page = text_of(phone.get(url))
    assert "兑换后直接放入卡包" in page and "到店领取" not in page
    key = re.search(r'name="key"[^>]*value="([^"]+)"', page).group(1)
    done = phone.post(url, data={"key": key}, follow_redirects=True)
    body = text_of(done)
    row = db.session.query(GiftExchange).one()
    assert "已放入您的卡包" in body and "<svg" not in done.get_data(as_text=True)
    assert f"/h5/{shop.slug}/cards/{row.card_id}" in body and "取消兑换" not in body
    assert "洗车十次卡" in text_of(phone.get(f"/h5/{shop.slug}/cards/{row.card_id}"))
