"""The sandbox's Alipay member card API through python-alipay-sdk: signed requests only, Alipay's fields and error
codes, request ids answered once, another app's templates and cards not found."""
import pytest
import requests
from alipay import AliPay
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from channels import alipay
from models import SandboxAlipayCard, SandboxAlipayCardTemplate
from sandbox import wechat_state as sbx
from sandbox.alipay_keys import provision_merchant

OPEN_DATE, VALID_DATE = "2026-12-07 10:00:00", "2126-12-07 10:00:00"


@pytest.fixture()
def shop(make, db, live_server):
    merchant = provision_merchant(db.session, make.merchant(name="支付宝卡店"))
    db.session.commit()
    return merchant


def template_body(request_id="req-1", **changes):
    body = {"request_id": request_id, "card_type": "OUT_MEMBER_CARD", "write_off_type": "qrcode",
            "biz_no_prefix": "tea",
            "template_style_info": {"card_show_name": "茶店会员卡", "logo_id": "logo-1", "background_id": "bg-1",
                                    "bg_color": "rgb(99,179,89)"},
            "field_rule_list": [{"field_name": name, "rule_name": "ASSIGN_FROM_REQUEST", "rule_value": name}
                                for name in ("Point", "Balance", "Level")],
            "column_info_list": [{"code": "COUPONS", "title": "优惠券", "operate_type": "openWeb",
                                  "more_info": {"title": "优惠券", "url": "http://localhost/h5/tea/coupons"}}]}
    body.update(changes)
    return body


def call(merchant, method, body):
    return alipay.client_for(merchant).server_api(method, biz_content=body)


def new_template(merchant, request_id="req-1"):
    answer = call(merchant, "alipay.marketing.card.template.create", template_body(request_id))
    assert answer["code"] == "10000", answer
    return answer["template_id"]


def alipay_user(db, merchant):
    person = sbx.create_alipay_user(db.session, merchant.alipay_app_id, "会员")
    db.session.commit()
    return person.user_key


def open_body(template_id, user_id, serial="open-1", **ext):
    return {"out_serial_no": serial, "card_template_id": template_id,
            "card_user_info": {"user_uni_id": user_id, "user_uni_id_type": "UID"},
            "card_ext_info": {"external_card_no": "M1", "open_date": OPEN_DATE, "valid_date": VALID_DATE,
                              "point": "10", "balance": "1.50", "level": "普通", **ext}}


def test_is_a_card_request_signed_with_another_key_refused(app, db, shop):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    impostor = AliPay(appid=shop.alipay_app_id, app_private_key_string=key,
                      alipay_public_key_string=shop.alipay_public_key, sign_type="RSA2")
    query = impostor.sign_data(impostor.build_body("alipay.marketing.card.template.create", template_body()))
    body = requests.get(f"{app.config['ALIPAY_GATEWAY']}?{query}", timeout=10).json()
    assert body["alipay_marketing_card_template_create_response"]["sub_code"] == "isv.invalid-signature"
    assert db.session.scalars(select(SandboxAlipayCardTemplate)).all() == []


def test_does_a_repeated_request_id_get_the_same_template(db, shop):
    first = new_template(shop)
    assert new_template(shop) == first
    assert new_template(shop, "req-2") != first
    db.session.expire_all()
    assert len(db.session.scalars(select(SandboxAlipayCardTemplate)).all()) == 2


def test_are_missing_and_bad_template_fields_refused_with_alipays_codes(shop):
    missing = call(shop, "alipay.marketing.card.template.create", template_body(template_style_info=None))
    assert (missing["code"], missing["sub_code"]) == ("40004", "MISSING_REQUIRED_PARAM")
    wrong_type = call(shop, "alipay.marketing.card.template.create", template_body(card_type="OUT_COUPON"))
    assert wrong_type["sub_code"] == "INVALID_PARAMETER"
    long_name = template_body(template_style_info={**template_body()["template_style_info"],
                                                   "card_show_name": "名" * 40})
    assert call(shop, "alipay.marketing.card.template.create", long_name)["sub_code"] == "INVALID_PARAMETER"


def test_is_another_apps_template_not_found(make, db, shop):
    other = provision_merchant(db.session, make.merchant(name="别家"))
    db.session.commit()
    theirs = new_template(other)
    answer = call(shop, "alipay.marketing.card.template.modify",
                  {"request_id": "m-1", "template_id": theirs,
                   "template_style_info": {**template_body()["template_style_info"], "card_show_name": "抢"}})
    assert answer["sub_code"] == "TEMPLATE_NOT_EXIST"
    assert call(shop, "alipay.marketing.card.open",
                open_body(theirs, alipay_user(db, shop)))["sub_code"] == "TEMPLATE_NOT_EXIST"


def test_does_a_modified_template_keep_the_new_face(db, shop):
    template_id = new_template(shop)
    style = {**template_body()["template_style_info"], "card_show_name": "新名字"}
    answer = call(shop, "alipay.marketing.card.template.modify",
                  {"request_id": "m-1", "template_id": template_id, "template_style_info": style})
    assert answer == {"code": "10000", "msg": "Success", "template_id": template_id}
    db.session.expire_all()
    row = db.session.scalars(select(SandboxAlipayCardTemplate)).one()
    assert row.payload["template_style_info"]["card_show_name"] == "新名字" and row.updates == 1


def test_does_opening_give_a_card_number_once_per_serial_and_user(db, shop):
    template_id = new_template(shop)
    user_id = alipay_user(db, shop)
    opened = call(shop, "alipay.marketing.card.open", open_body(template_id, user_id))
    assert opened["code"] == "10000" and opened["card_info"]["biz_card_no"].startswith("tea")
    again = call(shop, "alipay.marketing.card.open", open_body(template_id, user_id))
    assert again["card_info"]["biz_card_no"] == opened["card_info"]["biz_card_no"]
    twice = call(shop, "alipay.marketing.card.open", open_body(template_id, user_id, serial="open-2"))
    assert twice["sub_code"] == "CARD_HAS_BEEN_OPENED"
    nobody = call(shop, "alipay.marketing.card.open", open_body(template_id, "2088999999999999", serial="open-3"))
    assert nobody["sub_code"] == "USER_NOT_EXIST"
    bad_balance = call(shop, "alipay.marketing.card.open",
                       open_body(template_id, alipay_user(db, shop), serial="open-4", balance="-1"))
    assert bad_balance["sub_code"] == "INVALID_PARAMETER"


def test_does_an_update_set_the_cards_figures_and_a_deleted_card_is_gone(make, db, shop):
    template_id = new_template(shop)
    number = call(shop, "alipay.marketing.card.open",
                  open_body(template_id, alipay_user(db, shop)))["card_info"]["biz_card_no"]
    update = {"target_card_no": number, "target_card_no_type": "BIZ_CARD", "occur_time": OPEN_DATE,
              "card_info": {"point": "88", "balance": "12.30", "level": "金卡"}}
    assert call(shop, "alipay.marketing.card.update", update)["code"] == "10000"
    queried = call(shop, "alipay.marketing.card.query", {"target_card_no": number, "target_card_no_type": "BIZ_CARD"})
    assert (queried["card_info"]["point"], queried["card_info"]["balance"], queried["card_info"]["level"]) == \
        ("88", "12.30", "金卡")
    other = provision_merchant(db.session, make.merchant(name="别家"))
    db.session.commit()
    assert call(other, "alipay.marketing.card.update", update)["sub_code"] == "CARD_NOT_EXIST"
    assert call(shop, "alipay.marketing.card.update", {**update, "occur_time": None})["sub_code"] == \
        "MISSING_REQUIRED_PARAM"
    deleted = call(shop, "alipay.marketing.card.delete", {"out_serial_no": "del-1", "target_card_no": number,
                                                          "target_card_no_type": "BIZ_CARD",
                                                          "reason_code": "CANCEL"})
    assert deleted["code"] == "10000"
    assert call(shop, "alipay.marketing.card.update", update)["sub_code"] == "CARD_NOT_EXIST"
    db.session.expire_all()
    card = db.session.scalars(select(SandboxAlipayCard)).one()
    assert (card.state, card.updates, card.point) == ("deleted", 1, "88")


def test_does_the_phone_show_the_card_in_the_users_alipay_card_package(client, db, shop):
    template_id = new_template(shop)
    user_id = alipay_user(db, shop)
    number = call(shop, "alipay.marketing.card.open", open_body(template_id, user_id))["card_info"]["biz_card_no"]
    client.set_cookie("sandbox_alipay_user", user_id)
    page = client.get(f"/sandbox/phone/alipay-cards?m={shop.slug}").get_data(as_text=True)
    assert number in page and "茶店会员卡" in page and "1.50" in page and "普通" in page and "优惠券" in page
    client.set_cookie("sandbox_alipay_user", "2088111111111111")
    assert number not in client.get(f"/sandbox/phone/alipay-cards?m={shop.slug}").get_data(as_text=True)


def test_are_malformed_bodies_answered_with_alipays_codes_not_errors(db, shop):
    template_id = new_template(shop)
    user_id = alipay_user(db, shop)
    bodies = [
        ("alipay.marketing.card.template.create", template_body("x1", template_style_info="abc")),
        ("alipay.marketing.card.template.create", template_body("x2", field_rule_list="Point")),
        ("alipay.marketing.card.template.create",
         template_body("x3", column_info_list=[{"code": "X", "title": "入口", "more_info": "http://a"}])),
        ("alipay.marketing.card.template.create", template_body("x4", card_action_list=[{"code": 1}])),
        ("alipay.marketing.card.template.modify", {"request_id": ["x5"], "template_id": template_id}),
        ("alipay.marketing.card.open", {**open_body(template_id, user_id, "x6"), "card_user_info": []}),
        ("alipay.marketing.card.open", {**open_body(template_id, user_id, "x7"), "card_ext_info": "M1"}),
        ("alipay.marketing.card.open", open_body(template_id, user_id, "x8", open_date="tomorrow")),
        ("alipay.marketing.card.update", {"target_card_no": {"a": 1}, "occur_time": OPEN_DATE, "card_info": 5}),
        ("alipay.marketing.card.query", {"target_card_no": "", "target_card_no_type": "BIZ_CARD"}),
        ("alipay.marketing.card.delete", {"out_serial_no": "x9", "target_card_no_type": "USER"}),
    ]
    for method, body in bodies:
        answer = call(shop, method, body)
        assert answer["code"] == "40004" and answer["sub_code"] in (
            "INVALID_PARAMETER", "MISSING_REQUIRED_PARAM", "CARD_NOT_EXIST"), (method, answer)
    db.session.expire_all()
    assert db.session.scalars(select(SandboxAlipayCard)).all() == []
