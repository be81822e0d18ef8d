"""帮顾客办理 on the staff page: the cashier sends the customer a code, fills in the member's details and the
merchant's industry fields, and the page then shows the code to follow next (公众号 > 店铺码); an existing phone is
shown as a member, not joined twice; wrong codes, missing fields and bad input are refused on the form, and roles
that may not create members are turned away."""
import re

import pytest
from sqlalchemy import select

from models import Attribution, GuideChange, Member, SandboxOutbox
from services.members import fields as member_fields
from tests.integration.recruitment.assisted_world import assisted_join_shop
from tests.web.helpers import count, text_of
from tests.web.member_h5.test_h5_support import latest_sms_code
from tests.web.staff_h5.test_staff_h5 import staff_login

MOBILE = "13711112222"
JOIN = "/staff/members/join"


@pytest.fixture()
def shop(db, make):
    return assisted_join_shop(db, make, "帮办咖啡", "东门店",
                              {"owner": "boss", "cashier": "east", "guide": "guide", "verifier": "checker"})


def _send(client, mobile=MOBILE):
    return client.post(JOIN, data={"action": "send_code", "mobile": mobile})


def _join(client, db, mobile=MOBILE, **fields):
    assert _send(client, mobile).status_code == 200
    data = {"action": "join", "mobile": mobile, "code": latest_sms_code(db, mobile), "gender": "unknown", **fields}
    return client.post(JOIN, data=data)


def test_does_the_member_tab_offer_the_assisted_join_to_those_who_may_create_members(client, app, shop):
    staff_login(client, shop["cashier"])
    tab = text_of(client.get("/staff/members"))
    assert 'id="assisted-join-link"' in tab and "帮顾客办理" in tab and 'id="guide-members-link"' not in tab
    page = text_of(client.get(JOIN))
    assert 'id="send-code"' in page and 'name="notes"' in page and 'type="date"' in page
    assert "js/date_picker.js" in page and "css/date_picker.css" in page
    assert re.search(r'data-tab="member" id="tab-member" aria-current="page"', page)


def test_can_a_cashier_join_a_customer_who_reads_out_the_code(client, db, shop):
    member_fields.save_field(db.session, shop["owner"], None, key="plate", label="车牌号", field_type="text",
                             required=True)
    db.session.commit()
    staff_login(client, shop["cashier"])
    assert 'id="f_plate"' in text_of(client.get(JOIN))
    sent = _send(client)
    assert sent.status_code == 200 and "验证码已发送" in text_of(sent) and 'data-wait="60"' in text_of(sent)
    done = client.post(JOIN, data={"action": "join", "mobile": MOBILE, "code": latest_sms_code(db, MOBILE),
                                   "name": "张三", "gender": "female", "birthday": "1990-03-12",
                                   "f_plate": "粤B12345", "notes": "爱喝拿铁"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/staff/members/join/done")
    member = db.session.scalars(select(Member).where(Member.mobile == MOBILE)).one()
    assert (member.name, member.gender, member.birthday.isoformat(), member.notes) == (
        "张三", "female", "1990-03-12", "爱喝拿铁")
    assert member.custom_fields == {"plate": "粤B12345"} and member.home_store_id == shop["store"].id
    assert member.points_balance == 100
    credit = db.session.scalars(select(Attribution).where(Attribution.member_id == member.id)).one()
    assert (credit.staff_id, credit.store_id) == (shop["cashier"].id, shop["store"].id)
    page = text_of(client.get("/staff/members/join/done"))
    assert "办理成功" in page and "开卡礼已发放" in page and "137****2222" in page
    assert 'data-kind="store"' in page and "<svg" in page and "扫码领取会员卡" in page


def test_is_a_guide_who_helps_bound_and_shown_on_the_done_page(client, db, shop):
    staff_login(client, shop["guide"])
    assert _join(client, db).status_code == 302
    member = db.session.scalars(select(Member).where(Member.mobile == MOBILE)).one()
    assert member.guide_id == shop["guide"].id
    assert count(GuideChange, GuideChange.member_id == member.id, GuideChange.how == "assisted") == 1
    assert "员工guide" in text_of(client.get("/staff/members/join/done"))


def test_is_an_existing_phone_shown_as_a_member_not_joined_twice(client, db, shop, make):
    make.member(shop["merchant"], mobile=MOBILE, name="老会员")
    db.session.commit()
    staff_login(client, shop["cashier"])
    sent = text_of(_send(client))
    assert "该手机号已是会员" in sent
    joined = client.post(JOIN, data={"action": "join", "mobile": MOBILE, "code": latest_sms_code(db, MOBILE),
                                     "name": "新名字"})
    assert joined.status_code == 302
    page = text_of(client.get("/staff/members/join/done"))
    assert "该手机号已是会员" in page and "老会员" in page
    assert count(Member, Member.mobile == MOBILE) == 1


def test_does_the_done_page_show_the_official_accounts_follow_code_when_there_is_one(client, db, shop, live_server):
    from sandbox import wechat_state

    wechat_state.provision_account(db.session, shop["merchant"])
    db.session.commit()
    staff_login(client, shop["cashier"])
    assert _join(client, db).status_code == 302
    page = text_of(client.get("/staff/members/join/done"))
    assert 'data-kind="wechat"' in page and "扫码关注公众号" in page


@pytest.mark.parametrize("code, message", [("000000", "验证码不正确"), ("12", "请输入 6 位数字验证码"),
                                           ("", "请填写顾客收到的短信验证码")])
def test_is_a_wrong_code_refused_on_the_form_with_nobody_joined(client, db, shop, code, message):
    staff_login(client, shop["cashier"])
    _send(client)
    real = latest_sms_code(db, MOBILE)
    guess = f"{(int(real) + 1) % 1000000:06d}" if code == "000000" else code
    refused = client.post(JOIN, data={"action": "join", "mobile": MOBILE, "code": guess, "name": "张三"})
    assert refused.status_code == 400 and message in text_of(refused)
    assert 'value="张三"' in text_of(refused)  # what was typed stays
    assert count(Member, Member.mobile == MOBILE) == 0


def test_is_a_missing_required_industry_field_named_on_the_form(client, db, shop):
    member_fields.save_field(db.session, shop["owner"], None, key="plate", label="车牌号", field_type="text",
                             required=True)
    db.session.commit()
    staff_login(client, shop["cashier"])
    refused = _join(client, db)
    assert refused.status_code == 400 and "请填写车牌号" in text_of(refused)
    assert count(Member, Member.mobile == MOBILE) == 0


@pytest.mark.parametrize("fields, message", [
    ({"mobile": "123"}, "手机号"),
    ({"mobile": "1" * 5000}, ""),
    ({"name": "张\x00三"}, ""),
    ({"notes": "长" * 501}, "备注不能超过 500 个字"),
    ({"notes": "a\x00b"}, ""),
    ({"birthday": "2999-01-01"}, "生日不正确"),
    ({"gender": "robot"}, ""),
])
def test_is_bad_input_refused_clearly_with_nobody_joined(client, db, shop, fields, message):
    staff_login(client, shop["cashier"])
    _send(client)
    data = {"action": "join", "mobile": MOBILE, "code": latest_sms_code(db, MOBILE), "gender": "unknown", **fields}
    refused = client.post(JOIN, data=data)
    assert refused.status_code == 400 and message in text_of(refused)
    assert count(Member) == 0


def test_does_the_done_page_without_a_join_go_back_to_the_form(client, shop):
    staff_login(client, shop["cashier"])
    back = client.get("/staff/members/join/done")
    assert back.status_code == 302 and back.headers["Location"].endswith(JOIN)


def test_is_a_verifier_turned_away(client, db, shop):
    staff_login(client, shop["verifier"])
    assert 'id="assisted-join-link"' not in text_of(client.get("/staff/members"))
    assert client.get(JOIN).status_code == 403
    refused = _send(client)
    assert refused.status_code == 403 and count(SandboxOutbox) == 0


def test_is_a_signed_out_visitor_sent_to_the_login(client, shop):
    assert client.get(JOIN).headers["Location"].endswith("/staff/login")
    assert client.post(JOIN, data={"action": "send_code", "mobile": MOBILE}).status_code == 302
