"""WeChat's own activation form (一键激活): the card asks WeChat for the phone (and name, birthday); the user fills it
in WeChat (the simulated phone's form), WeChat opens our activation page with an activate_ticket, and the card is
activated for the member with that phone: found, or joined there and then with no SMS page of ours."""
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from domain import roles
from models import Member, SandboxCard, WechatCardHolding
from services.members import fields as member_fields
from tests.web.member_h5.test_h5_support import sign_in
from tests.web.member_h5.test_h5_wechat_card_activation import added, card_id, person, shop, wechat_code  # noqa: F401

MOBILE, NAME, BIRTHDAY = "USER_FORM_INFO_FLAG_MOBILE", "USER_FORM_INFO_FLAG_NAME", "USER_FORM_INFO_FLAG_BIRTHDAY"


def fill_wechat_form(client, person, code, **answers):
    """The phone's WeChat form, submitted: where WeChat sends the user next (our activation page, with the ticket)."""
    client.set_cookie("sandbox_wechat_user", str(person.id))
    form = client.get("/sandbox/phone/cards/activate", query_string={"m": "tea", "code": code})
    assert form.status_code == 200 and "手机号" in form.get_data(as_text=True)
    submitted = client.post("/sandbox/phone/cards/activate", data={"m": "tea", "code": code, **answers})
    if submitted.status_code != 302:
        return submitted
    opened = client.get(submitted.location)  # sandbox.phone_open: "inside WeChat"
    assert opened.status_code == 302
    return opened.location


def activation_query(location):
    parts = urlsplit(location)
    assert parts.path == "/h5/tea/wechat-card/activate"
    return {key: values[0] for key, values in parse_qs(parts.query).items()}


def test_does_the_card_ask_wechat_for_the_phone_name_and_birthday(shop, card_id, db):  # noqa: F811
    payload = db.session.scalars(select(SandboxCard).where(SandboxCard.card_id == card_id)).one().payload
    assert payload["wx_activate"] is True and payload["wx_activate_after_submit"] is True
    assert payload["wx_activate_after_submit_url"].endswith("/h5/tea/wechat-card/activate")
    assert "activate_url" not in payload  # WeChat ignores its own form when both are given
    assert payload["activate_form"] == {"required_form": [MOBILE], "optional_form": [NAME, BIRTHDAY]}


def test_does_a_new_customer_join_with_the_phone_wechat_gave_and_get_the_card_activated(
        shop, card_id, person, db, client):  # noqa: F811
    code, _ = added(db, shop, card_id, person)
    location = fill_wechat_form(client, person, code, **{MOBILE: "13900000031", NAME: "王小明",
                                                         BIRTHDAY: "1990-05-01"})
    query = activation_query(location)
    assert query["card_id"] == card_id and query["openid"] == person.user_key and query["activate_ticket"]
    sign_in(client, shop, "wechat", person.user_key)
    answer = client.get("/h5/tea/wechat-card/activate", query_string=query)
    assert answer.status_code == 200 and "会员卡已激活" in answer.get_data(as_text=True)
    member = db.session.scalars(select(Member).where(Member.merchant_id == shop.id)).one()
    assert (member.mobile, member.name, str(member.birthday)) == ("13900000031", "王小明", "1990-05-01")
    assert wechat_code(db, code).state == "activated"
    holding = db.session.scalars(select(WechatCardHolding)).one()
    assert (holding.member_id, holding.state) == (member.id, "activated")
    again = client.get("/h5/tea/wechat-card/activate", query_string=query)  # opened twice: nothing new
    assert again.status_code == 200 and len(db.session.scalars(select(Member)).all()) == 1


def test_is_the_card_bound_to_the_member_who_already_has_that_phone(shop, card_id, person, db, client, make):  # noqa: F811
    existing = make.member(shop, mobile="13900000032", name="老会员")
    db.session.commit()
    code, _ = added(db, shop, card_id, person)
    query = activation_query(fill_wechat_form(client, person, code, **{MOBILE: "13900000032"}))
    sign_in(client, shop, "wechat", person.user_key)
    assert client.get("/h5/tea/wechat-card/activate", query_string=query).status_code == 200
    db.session.expire_all()
    holding = db.session.scalars(select(WechatCardHolding)).one()
    assert holding.member_id == existing.id and db.session.get(Member, existing.id).name == "老会员"


def test_does_wechats_form_refuse_a_bad_phone_and_the_page_a_forged_ticket(shop, card_id, person, db, client):  # noqa: F811
    code, link = added(db, shop, card_id, person)
    refused = fill_wechat_form(client, person, code, **{MOBILE: "12345"})
    assert refused.status_code == 400 and "手机号格式不正确" in refused.get_data(as_text=True)
    sign_in(client, shop, "wechat", person.user_key)
    for ticket in ("forged", "x" * 600, "bad\x00"):
        answer = client.get("/h5/tea/wechat-card/activate", query_string={**link, "activate_ticket": ticket})
        assert answer.status_code == 400
    assert db.session.scalars(select(Member)).all() == [] and wechat_code(db, code).state == "added"


def test_does_a_merchant_whose_join_asks_more_send_the_user_to_the_claim_page(
        shop, card_id, person, db, client, make):  # noqa: F811
    member_fields.save_field(db.session, make.staff(shop, role=roles.OWNER), None, key="taste", label="口味",
                             field_type="text", required=True, position=1)
    db.session.commit()
    code, _ = added(db, shop, card_id, person)
    query = activation_query(fill_wechat_form(client, person, code, **{MOBILE: "13900000033"}))
    sign_in(client, shop, "wechat", person.user_key)
    answer = client.get("/h5/tea/wechat-card/activate", query_string=query)
    assert answer.status_code == 302 and urlsplit(answer.location).path == "/h5/tea/claim"
    assert db.session.scalars(select(Member)).all() == [] and wechat_code(db, code).state == "added"
