"""积分转储值 pages: the merchant's rate in the back office, staff converting for a member, the member's own page."""
import re

from domain import roles
from extensions import db
from models import StoredValueSettings
from services.points import ledger as points
from services.wallet import points_to_balance, stored_value, journal as wallet
from tests.web.member_h5 import test_h5_support
from tests.web.helpers import fresh, text_of, wechat_member, wechat_phone

shop = test_h5_support.shop  # the fixture
OPENID = "o-points-balance-0000000000000001"


def _open(db, merchant, owner, rate=10):
    stored_value.enable(db.session, owner)
    points_to_balance.set_rate(db.session, owner, rate)
    db.session.commit()


def test_can_the_owner_set_the_rate_only_after_enabling_stored_value(as_owner, merchant, owner):
    refused = as_owner.post("/backoffice/stored-value/points-rate", data={"points_per_yuan": "10"},
                            follow_redirects=True)
    assert "请先开通储值" in text_of(refused)
    stored_value.enable(db.session, owner)
    db.session.commit()
    as_owner.post("/backoffice/stored-value/points-rate", data={"points_per_yuan": "20"})
    assert db.session.query(StoredValueSettings).one().points_per_yuan == 20
    bad = as_owner.post("/backoffice/stored-value/points-rate", data={"points_per_yuan": "0"}, follow_redirects=True)
    assert "须为 1 到 100000" in text_of(bad) and db.session.query(StoredValueSettings).one().points_per_yuan == 20


def test_can_staff_convert_a_members_points_once_per_form(as_owner, make, merchant, owner):
    _open(db, merchant, owner)
    member = make.member(merchant)
    points.earn(db.session, merchant, member.id, 500, key="earn:web")
    db.session.commit()
    page = text_of(as_owner.get(f"/backoffice/members/{member.id}/points-to-balance"))
    key = re.search(r'name="key"[^>]*value="([^"]+)"', page).group(1)
    url = f"/backoffice/members/{member.id}/points-to-balance"
    assert as_owner.post(url, data={"points": "200", "key": key}).status_code == 302
    assert as_owner.post(url, data={"points": "200", "key": key}).status_code == 302  # a double submit
    purse = wallet.member_wallet(db.session, merchant.id, member.id)
    assert fresh(member).points_balance == 300 and fresh(purse).bonus == 2000
    odd = as_owner.post(url, data={"points": "15", "key": "points-to-balance:odd"})
    assert odd.status_code == 400 and "整数倍" in text_of(odd)


def test_may_a_cashier_not_convert_points(sign_in_as, client, make, merchant):
    member = make.member(merchant)
    db.session.commit()
    sign_in_as(roles.CASHIER)
    assert client.get(f"/backoffice/members/{member.id}/points-to-balance").status_code == 403


def test_can_a_member_convert_points_in_h5(client, make, shop):
    owner = make.staff(shop, role=roles.OWNER)
    _open(db, shop, owner)
    member = wechat_member(make, shop, OPENID, mobile="13600000031")
    points.earn(db.session, shop, member.id, 100, key="earn:h5")
    db.session.commit()
    phone = wechat_phone(client, shop, OPENID)
    before = fresh(member).points_balance
    page = text_of(phone.get(f"/h5/{shop.slug}/member/points-to-balance"))
    assert "10 积分 = ¥1" in page
    key = re.search(r'name="key"[^>]*value="([^"]+)"', page).group(1)
    done = phone.post(f"/h5/{shop.slug}/member/points-to-balance", data={"points": "100", "key": key},
                      follow_redirects=True)
    assert "已将 100 积分转为 ¥10.00 余额" in text_of(done)
    assert fresh(member).points_balance == before - 100
    odd = phone.post(f"/h5/{shop.slug}/member/points-to-balance", data={"points": "7", "key": "h5-points:odd"},
                     follow_redirects=True)
    assert "整数倍" in text_of(odd)
