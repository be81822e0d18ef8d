"""Channel credentials are checked when saved: a bad one is refused with the reason at its field and the stored
one stays; the official account's message mode is chosen with them; a bad stored key does not stop seed-demo."""
import re

import pytest
from cryptography.hazmat.primitives import serialization

from domain.errors import DomainError
from models import AuditLog
from services.merchant import merchants
from tests.web.backoffice.keys import bare, rsa_private_pem, rsa_public_pem
from tests.web.helpers import count, fresh, text_of

AES_KEY = "e" * 42 + "E"
APP_ID = "wx0123456789abcdef"


def field_error(page, field_id):
    """The error message shown under the field `field_id` (the one after its cell)."""
    match = re.search(rf'id="{field_id}".*?<div class="bo-field-error" role="alert">(.*?)</div>', page, re.S)
    return match.group(1) if match else ""


@pytest.fixture()
def stored(merchant, db):
    """The merchant with good Alipay and WeChat Pay credentials already saved."""
    merchant.alipay_app_id, merchant.alipay_private_key = "2021000000000001", rsa_private_pem()
    merchant.alipay_public_key = rsa_public_pem()
    merchant.wechat_pay_mch_id, merchant.wechat_pay_api_key = "1900000109", "k" * 32
    db.session.commit()
    return merchant


def post_credentials(client, **changes):
    form = {"alipay_app_id": "2021000000000001", "alipay_public_key": rsa_public_pem(),
            "wechat_pay_mch_id": "1900000109"}
    return client.post("/backoffice/settings/credentials", data={**form, **changes})


# --- Alipay and WeChat Pay ------------------------------------------------------------------------------------

def test_is_a_private_key_that_does_not_parse_refused_and_the_old_one_kept(as_owner, stored):
    response = post_credentials(as_owner, alipay_private_key="not-a-key")
    page = text_of(response)
    assert response.status_code == 400
    assert "应用私钥无法解析" in field_error(page, "alipay_private_key")
    assert fresh(stored).alipay_private_key == rsa_private_pem()
    assert count(AuditLog, AuditLog.action == "merchant.credentials") == 0


@pytest.mark.parametrize("field, value, reason", [
    ("alipay_app_id", "2021001", "支付宝 AppID 须为 16 位数字"),
    ("alipay_public_key", "PUBKEY", "支付宝公钥无法解析"),
    ("wechat_pay_mch_id", "19000", "微信支付商户号须为 8-12 位数字"),
    ("wechat_pay_api_key", "short-key", "微信支付 API 密钥须为 32 位英文字母或数字"),
])
def test_is_each_bad_credential_refused_at_its_field_with_nothing_stored(as_owner, stored, field, value, reason):
    before = {name: getattr(stored, name) for name in ("alipay_app_id", "alipay_public_key", "wechat_pay_mch_id",
                                                       "wechat_pay_api_key", "alipay_private_key")}
    response = post_credentials(as_owner, **{field: value, "alipay_private_key": rsa_private_pem("other")})
    assert response.status_code == 400 and reason in field_error(text_of(response), field)
    merchant = fresh(stored)
    assert {name: getattr(merchant, name) for name in before} == before  # the good private key was not saved either


def test_is_a_private_key_without_its_header_lines_accepted(as_owner, stored):
    key = bare(rsa_private_pem("other", pkcs1=True))
    assert post_credentials(as_owner, alipay_private_key=key).status_code == 302
    assert fresh(stored).alipay_private_key == key


def test_can_the_owner_save_wechat_pay_credentials(as_owner, merchant):
    response = post_credentials(as_owner, wechat_pay_mch_id="1230000109", wechat_pay_api_key="A1" * 16)
    assert response.status_code == 302
    merchant = fresh(merchant)
    assert (merchant.wechat_pay_mch_id, merchant.wechat_pay_api_key) == ("1230000109", "A1" * 16)
    page = text_of(as_owner.get("/backoffice/settings"))
    assert "微信支付商户号" in page and "A1" * 16 not in page


def test_does_the_service_refuse_a_bad_key_on_every_path(db, stored, owner):
    """The CLI and any other caller go through the same check as the form."""
    with pytest.raises(DomainError) as refused:
        merchants.update_credentials(db.session, owner, stored, {"alipay_private_key": "not-a-key"})
    assert "应用私钥无法解析" in refused.value.message and set(refused.value.details["fields"]) == {
        "alipay_private_key"}
    db.session.rollback()
    assert fresh(stored).alipay_private_key == rsa_private_pem()


# --- the official account and its message mode ----------------------------------------------------------------

@pytest.fixture()
def account(merchant, db):
    merchant.wechat_app_id, merchant.wechat_token = APP_ID, "tok456"
    db.session.commit()
    return merchant


def post_account(client, **changes):
    return client.post("/backoffice/wechat/account", data={"wechat_app_id": APP_ID, **changes})


def test_does_the_form_save_the_message_mode(as_owner, account):
    page = text_of(as_owner.get("/backoffice/wechat"))
    assert "消息加解密方式" in page and "明文模式" in page and "安全模式" in page
    response = post_account(as_owner, new_aes_key=AES_KEY, wechat_message_mode="safe")
    assert response.status_code == 302
    merchant = fresh(account)
    assert (merchant.wechat_message_mode, merchant.wechat_aes_key) == ("safe", AES_KEY)
    assert re.search(r'<option selected value="safe">|<option value="safe" selected',
                     text_of(as_owner.get("/backoffice/wechat")))
    assert post_account(as_owner, wechat_message_mode="plain").status_code == 302
    assert fresh(account).wechat_message_mode == "plain"


@pytest.mark.parametrize("mode", ["safe", "compatible"])
def test_is_safe_or_compatible_mode_without_an_aes_key_refused(as_owner, account, mode):
    response = post_account(as_owner, wechat_message_mode=mode, wechat_token="newtoken")
    assert response.status_code == 400
    assert "需要先填写 EncodingAESKey" in field_error(text_of(response), "wechat_message_mode")
    merchant = fresh(account)
    assert (merchant.wechat_message_mode, merchant.wechat_token) == ("compatible", "tok456")


def test_is_safe_mode_refused_when_its_key_is_not_valid(as_owner, account):
    response = post_account(as_owner, wechat_message_mode="safe", new_aes_key="!" * 43)
    assert response.status_code == 400 and "EncodingAESKey 须为 43 位" in field_error(text_of(response), "new_aes_key")
    assert fresh(account).wechat_message_mode == "compatible"


@pytest.mark.parametrize("changes, field, reason", [
    ({"wechat_app_id": "wxbackoffice0001"}, "wechat_app_id", "公众号 AppID 须为 wx 开头"),
    ({"wechat_app_secret": "too-short"}, "wechat_app_secret", "AppSecret 须为 32 位"),
    ({"wechat_token": "to"}, "wechat_token", "Token 须为 3-32 位"),
])
def test_is_a_bad_official_account_credential_refused_at_its_field(as_owner, account, changes, field, reason):
    response = post_account(as_owner, wechat_message_mode="plain", **changes)
    assert response.status_code == 400 and reason in field_error(text_of(response), field)
    merchant = fresh(account)
    assert (merchant.wechat_app_id, merchant.wechat_token, merchant.wechat_message_mode) == (
        APP_ID, "tok456", "compatible")


# --- seed-demo and a key stored before these checks ------------------------------------------------------------

def test_does_seed_demo_survive_an_unreadable_stored_alipay_key(app, make, db):
    demo = make.merchant(slug="demo", name="演示咖啡", with_levels=False)
    demo.alipay_private_key = "not-a-key"  # written straight to the database, past every check
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output + result.stderr
    assert "already present" in result.stdout and "Alipay private key is unreadable" in result.stderr
    key = fresh(demo).alipay_private_key
    assert serialization.load_pem_private_key(key.encode(), password=None)  # a working sandbox key replaced it
