"""The sandbox's Alipay life account: signed message methods with their error answers, following it from the
simulated phone, and the phone's list of the messages a user received."""
import pytest

from channels import alipay_life
from channels.alipay import client_for
from models import SandboxUser
from sandbox.alipay_life import set_following
from tests.web.member_h5.test_h5_support import provision

USER = "2088000000000301"


@pytest.fixture()
def shop(make, db, live_server):
    shop = provision(db, make.merchant(name="生活号沙箱店"))
    db.session.add(SandboxUser(channel="alipay", app_id=shop.alipay_app_id, user_key=USER, nickname="支付宝小王"))
    db.session.commit()
    return shop


def _context():
    return alipay_life.template_context(["积分变动", "+5 积分", "5 积分", "消费", "2026-12-07 12:00", "查看明细"],
                                        "https://example.com/points")


def test_is_a_user_who_does_not_follow_refused_with_alipays_code(db, shop):
    with pytest.raises(alipay_life.LifeAccountRefused) as refused:
        alipay_life.send_template(shop, USER, "LIFE-1", _context())
    assert refused.value.sub_code == "PUB.MSG_SD_NOFOLLOW" and refused.value.final


def test_are_missing_and_bad_fields_refused_with_a_signed_answer(db, shop):
    set_following(db.session, shop.alipay_app_id, USER, True)
    db.session.commit()
    client = client_for(shop)
    answer = client.server_api("alipay.open.public.message.single.send", biz_content={"to_user_id": USER})
    assert (answer["code"], answer["sub_code"]) == ("40001", "isv.missing-parameter")
    bad = dict(_context(), head_color="red")
    answer = client.server_api("alipay.open.public.message.single.send", biz_content={
        "to_user_id": USER, "template": {"template_id": "LIFE-1", "context": bad}})
    assert (answer["code"], answer["sub_code"]) == ("40002", "isv.invalid-parameter")
    assert client.server_api("alipay.open.public.user.follow.query", biz_content={"user_id": USER})["is_follow"] == "T"


def test_can_the_phone_follow_the_life_account_and_list_its_messages(db, shop, client):
    page = client.get(f"/sandbox/phone/alipay-messages?m={shop.slug}&u={USER}").get_data(as_text=True)
    assert 'data-following="no"' in page and "关注生活号" in page
    response = client.post("/sandbox/phone/alipay/follow", data={"m": shop.slug, "u": USER, "action": "follow"})
    assert response.status_code == 302
    alipay_life.send_template(shop, USER, "LIFE-1", _context())
    alipay_life.send_text(shop, USER, "周末全场八折")
    page = client.get(f"/sandbox/phone/alipay-messages?m={shop.slug}").get_data(as_text=True)  # the cookie says who
    assert 'data-following="yes"' in page and "+5 积分" in page and "周末全场八折" in page
    assert client.post("/sandbox/phone/alipay/follow", data={"m": shop.slug, "u": "2088999999999999"}).status_code == 404
