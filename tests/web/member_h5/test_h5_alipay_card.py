"""领取到支付宝卡包 on the member centre: shown only inside Alipay once the merchant's template is in Alipay and the
member has not opened the card; the tap opens the card by the member's Alipay user id and shows it in the simulated
phone's Alipay card package."""
import pytest
from sqlalchemy import select

from models import AlipayCardHolding, SandboxAlipayCard
from sandbox import wechat_state as sbx
from sandbox.alipay_keys import provision_merchant
from services.alipay_cards import template
from services.members import members
from services.wechat_cards import face
from tests.web.member_h5.test_h5_support import ALIPAY_UA, WECHAT_UA, sign_in

IN_ALIPAY = {"User-Agent": ALIPAY_UA}


@pytest.fixture()
def shop(make, db):
    merchant = provision_merchant(db.session, make.merchant(slug="tea", name="茶饮店", with_levels=False))
    db.session.commit()
    return merchant


@pytest.fixture()
def person(shop, make, db, client):
    row = sbx.create_alipay_user(db.session, shop.alipay_app_id, "小李")
    member = make.member(shop, mobile="13800138003")
    members.bind_identity(db.session, member, "alipay_user_id", row.user_key, "")
    make.wallet(shop, member, principal=5_000)
    db.session.commit()
    sign_in(client, shop, "alipay", row.user_key)
    return row


def synced(make, shop, db):
    face.save(db.session, make.staff(shop), shop, **face.defaults(shop))
    db.session.commit()
    assert template.sync(db.session, shop) is True
    db.session.commit()


def test_is_the_button_there_only_inside_alipay_once_the_template_is_in_alipay(shop, person, make, db, client,
                                                                              live_server):
    assert "领取到支付宝卡包" not in client.get("/h5/tea/member", headers=IN_ALIPAY).get_data(as_text=True)
    synced(make, shop, db)
    page = client.get("/h5/tea/member", headers=IN_ALIPAY).get_data(as_text=True)
    assert "领取到支付宝卡包" in page and 'action="/h5/tea/alipay-card/open"' in page
    assert "领取到支付宝卡包" not in client.get("/h5/tea/member", headers={"User-Agent": WECHAT_UA}).get_data(
        as_text=True)


def test_does_the_tap_open_the_card_once_and_show_it_in_the_alipay_card_package(shop, person, make, db, client,
                                                                                live_server):
    synced(make, shop, db)
    opened = client.post("/h5/tea/alipay-card/open", headers=IN_ALIPAY)
    assert opened.status_code == 302 and "/sandbox/phone/alipay-cards?m=tea" in opened.headers["Location"]
    holding = db.session.scalars(select(AlipayCardHolding)).one()
    assert holding.alipay_user_id == person.user_key and holding.state == "open"
    assert "领取到支付宝卡包" not in client.get("/h5/tea/member", headers=IN_ALIPAY).get_data(as_text=True)
    assert client.post("/h5/tea/alipay-card/open", headers=IN_ALIPAY).status_code == 302
    db.session.expire_all()
    assert len(db.session.scalars(select(SandboxAlipayCard)).all()) == 1
    client.set_cookie("sandbox_alipay_user", person.user_key)
    package = client.get("/sandbox/phone/alipay-cards?m=tea").get_data(as_text=True)
    assert holding.biz_card_no in package and "50.00" in package and "/sandbox/phone/alipay-open?url=" in package


def test_is_the_tap_refused_before_the_template_is_in_alipay(shop, person, client, db):
    refused = client.post("/h5/tea/alipay-card/open", headers=IN_ALIPAY)
    assert refused.status_code == 400 and "尚未开通支付宝会员卡" in refused.get_data(as_text=True)
    assert db.session.scalars(select(AlipayCardHolding)).all() == []


def test_is_a_wechat_login_refused(shop, make, db, client, live_server):
    synced(make, shop, db)
    member = make.member(shop, mobile="13800138004")
    members.bind_identity(db.session, member, "wechat_openid", "o-wechat-user", shop.wechat_app_id or "")
    db.session.commit()
    sign_in(client, shop, "wechat", "o-wechat-user")
    refused = client.post("/h5/tea/alipay-card/open")
    assert refused.status_code == 400 and "只能在支付宝中领取" in refused.get_data(as_text=True)
    assert db.session.scalars(select(AlipayCardHolding)).all() == []
