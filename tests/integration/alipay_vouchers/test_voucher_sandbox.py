"""The sandbox's Alipay merchant vouchers through python-alipay-sdk: RSA2 both ways, Alipay's error codes, amounts in
yuan, an activity of another app not found, and out_biz_no answering a repeated request once."""
import pytest
import requests
from alipay import AliPay
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import func, select

from channels import alipay
from models import SandboxAlipayVoucher
from sandbox.alipay_keys import provision_merchant

USER = "2088000000000777"
PREFIX = "alipay.marketing.activity.ordervoucher."


@pytest.fixture()
def shop(make, db):
    merchant = provision_merchant(db.session, make.merchant(name="券测试店"))
    db.session.commit()
    return merchant


def terms(**changes):
    return {"activity_name": "满50减10", "code_mode": "MERCHANT_API", "out_biz_no": "A1_create",
            "voucher_send_mode_info": {"voucher_send_mode": "REAL_TIME"},
            "voucher_deduct_info": {"voucher_type": "FIX_VOUCHER",
                                    "fix_voucher_info": {"amount": "10.00", "floor_amount": "50.00"}},
            "voucher_use_rule_info": {"voucher_use_time_info": {
                "period_type": "RELATIVE", "relative_period_info": {"valid_days_after_receive": 30}}},
            "voucher_display_info": {"brand_name": "券测试店", "voucher_name": "满50减10"},
            "voucher_quantity": 100, **changes}


def ask(merchant, method, **biz):
    return alipay.client_for(merchant).server_api(PREFIX + method, biz_content=biz)


def created(merchant, **changes):
    answer = ask(merchant, "create", **terms(**changes))
    assert answer["code"] == "10000", answer
    return answer["activity_id"]


def test_is_a_request_signed_with_another_key_refused(app, shop):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    impostor = AliPay(appid=shop.alipay_app_id, app_private_key_string=pem,
                      alipay_public_key_string=shop.alipay_public_key, sign_type="RSA2")
    query = impostor.sign_data(impostor.build_body(PREFIX + "create", terms()))
    body = requests.get(f"{app.config['ALIPAY_GATEWAY']}?{query}", timeout=10).json()
    assert body["alipay_marketing_activity_ordervoucher_create_response"]["sub_code"] == "isv.invalid-signature"


@pytest.mark.parametrize("changes, words", [
    ({"voucher_deduct_info": {"voucher_type": "FIX_VOUCHER", "fix_voucher_info": {"amount": "10.001"}}}, "amount"),
    ({"voucher_deduct_info": {"voucher_type": "FIX_VOUCHER", "fix_voucher_info": {"amount": 10}}}, "amount"),
    ({"voucher_deduct_info": {"voucher_type": "FIX_VOUCHER",
                              "fix_voucher_info": {"amount": "10.00", "floor_amount": "5.00"}}}, "门槛"),
    ({"voucher_deduct_info": {"voucher_type": "GIFT"}}, "voucher_type"),
    ({"code_mode": "ALIPAY"}, "code_mode"),
    ({"activity_name": ""}, "activity_name"),
    ({"voucher_quantity": 0}, "voucher_quantity"),
    ({"voucher_use_rule_info": {"voucher_use_time_info": {"period_type": "ABSOLUTE", "absolute_period_info": {
        "valid_begin_time": "2026-12-31 00:00:00", "valid_end_time": "2026-12-01 00:00:00"}}}}, "valid_end_time"),
    ({"out_biz_no": ""}, "out_biz_no"),
])
def test_is_an_activity_with_bad_terms_refused_as_invalid_parameter(shop, changes, words):
    answer = ask(shop, "create", **terms(**changes))
    assert (answer["code"], answer["sub_code"]) == ("40004", "INVALID_PARAMETER") and words in answer["sub_msg"]


def test_does_a_deposited_voucher_go_from_usable_to_used_and_back(db, shop):
    activity_id = created(shop)
    deposit = ask(shop, "codedeposit", activity_id=activity_id, out_biz_no="D1", voucher_codes=["ABC123"],
                  user_id=USER)
    assert deposit["code"] == "10000" and deposit["success_count"] == 1
    used = ask(shop, "use", activity_id=activity_id, voucher_code="ABC123", out_biz_no="D1U1",
               biz_dt="2026-12-07 12:00:00", total_fee="88.00")
    assert used["code"] == "10000"
    again = ask(shop, "use", activity_id=activity_id, voucher_code="ABC123", out_biz_no="D1U2",
                biz_dt="2026-12-07 12:01:00")
    assert again["sub_code"] == "VOUCHER_STATUS_ERROR"
    assert ask(shop, "refund", activity_id=activity_id, voucher_code="ABC123", out_biz_no="D1R1",
               biz_dt="2026-12-07 12:02:00")["code"] == "10000"
    assert ask(shop, "refund", activity_id=activity_id, voucher_code="ABC123", out_biz_no="D1R2",
               biz_dt="2026-12-07 12:03:00")["sub_code"] == "VOUCHER_STATUS_ERROR"
    assert ask(shop, "use", activity_id=activity_id, voucher_code="ABC123", out_biz_no="D1U3",
               biz_dt="2026-12-07 12:04:00")["code"] == "10000"
    assert ask(shop, "use", activity_id=activity_id, voucher_code="NOPE", out_biz_no="D1U4",
               biz_dt="2026-12-07 12:04:00")["sub_code"] == "VOUCHER_NOT_EXIST"
    queried = ask(shop, "query", activity_id=activity_id)
    assert queried["voucher_inventory_info"]["used_quantity"] == 1
    assert queried["activity_base_info"]["activity_status"] == "ACTIVE"


def test_does_a_repeated_out_biz_no_answer_once_and_refuse_other_parameters(db, shop):
    activity_id = created(shop)
    assert created(shop) == activity_id  # the same create again: the same activity
    first = ask(shop, "codedeposit", activity_id=activity_id, out_biz_no="D9", voucher_codes=["XYZ9"], user_id=USER)
    second = ask(shop, "codedeposit", activity_id=activity_id, out_biz_no="D9", voucher_codes=["XYZ9"], user_id=USER)
    assert first == second and first["code"] == "10000"
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(SandboxAlipayVoucher)) == 1
    other = ask(shop, "codedeposit", activity_id=activity_id, out_biz_no="D9", voucher_codes=["XYZ10"], user_id=USER)
    assert other["sub_code"] == "INVALID_PARAMETER"
    duplicate = ask(shop, "codedeposit", activity_id=activity_id, out_biz_no="D10", voucher_codes=["XYZ9"],
                    user_id=USER)
    assert duplicate["sub_code"] == "VOUCHER_CODE_DUPLICATE"
    use = dict(activity_id=activity_id, voucher_code="XYZ9", out_biz_no="U1", biz_dt="2026-12-07 12:00:00")
    assert ask(shop, "use", **use)["code"] == "10000"
    assert ask(shop, "use", **use)["code"] == "10000"  # a retry of the same use: its answer, not a second use
    db.session.expire_all()
    assert db.session.scalar(select(SandboxAlipayVoucher.uses)) == 1


def test_is_another_apps_activity_not_found(make, db, shop):
    activity_id = created(shop)
    other = provision_merchant(db.session, make.merchant(name="另一家"))
    db.session.commit()
    answer = ask(other, "codedeposit", activity_id=activity_id, out_biz_no="D1", voucher_codes=["ABC"], user_id=USER)
    assert answer["sub_code"] == "ACTIVITY_NOT_EXIST"
    assert ask(other, "query", activity_id=activity_id)["sub_code"] == "ACTIVITY_NOT_EXIST"


def test_does_a_stopped_activity_take_no_more_codes(shop):
    activity_id = created(shop)
    assert ask(shop, "stop", activity_id=activity_id, out_biz_no="S1")["code"] == "10000"
    answer = ask(shop, "codedeposit", activity_id=activity_id, out_biz_no="D1", voucher_codes=["ABC"], user_id=USER)
    assert answer["sub_code"] == "ACTIVITY_STATUS_ERROR"


def test_are_codes_beyond_the_quantity_refused(shop):
    activity_id = created(shop, voucher_quantity=1)
    assert ask(shop, "codedeposit", activity_id=activity_id, out_biz_no="D1", voucher_codes=["A1"],
               user_id=USER)["code"] == "10000"
    answer = ask(shop, "codedeposit", activity_id=activity_id, out_biz_no="D2", voucher_codes=["A2"], user_id=USER)
    assert answer["sub_code"] == "VOUCHER_QUANTITY_NOT_ENOUGH"
