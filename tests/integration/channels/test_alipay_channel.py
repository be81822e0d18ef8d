"""Alipay login through python-alipay-sdk against the sandbox gateway: RSA2 both ways, codes used once."""
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from alipay import AliPay
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from channels import alipay
from channels.alipay import AlipayAuthFailed
from channels.wechat import ChannelNotConfigured
from domain.clock import now_utc
from models import SandboxGrant, SharedToken
from sandbox.alipay_keys import SANDBOX_KEY, provision_merchant


@pytest.fixture()
def shop(make, db):
    merchant = provision_merchant(db.session, make.merchant(name="支付宝测试店"))
    db.session.commit()
    return merchant


def _code(db, merchant, user_id="2088000000000123", **overrides):
    grant = SandboxGrant(kind="alipay_code", value=overrides.pop("value", f"code-{now_utc().timestamp()}"),
                         app_id=merchant.alipay_app_id, user_key=user_id, scope="auth_base",
                         expires_at=overrides.pop("expires_at", now_utc() + timedelta(minutes=5)))
    db.session.add(grant)
    db.session.commit()
    return grant.value


def _new_private_pem():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def test_does_provisioning_give_the_merchant_an_app_id_and_keys_once(make, db, shop):
    app_id, private_key = shop.alipay_app_id, shop.alipay_private_key
    assert app_id.startswith("2021") and len(app_id) == 16
    assert "PRIVATE KEY" in private_key and "PUBLIC KEY" in shop.alipay_public_key
    provision_merchant(db.session, shop)
    assert (shop.alipay_app_id, shop.alipay_private_key) == (app_id, private_key)
    other = provision_merchant(db.session, make.merchant(name="另一家"))
    assert other.alipay_app_id != app_id
    assert other.alipay_public_key == shop.alipay_public_key  # one sandbox "Alipay" key for every app
    assert db.session.get(SharedToken, SANDBOX_KEY).value.startswith("-----BEGIN PRIVATE KEY")


def test_does_an_auth_code_give_the_user_id_once(db, shop):
    code = _code(db, shop)
    assert alipay.user_id_for_code(shop, code) == "2088000000000123"
    with pytest.raises(AlipayAuthFailed, match="授权码code无效"):
        alipay.user_id_for_code(shop, code)


def test_is_an_expired_auth_code_refused(db, shop):
    code = _code(db, shop, expires_at=now_utc() - timedelta(seconds=1))
    with pytest.raises(AlipayAuthFailed):
        alipay.user_id_for_code(shop, code)


def test_is_another_apps_auth_code_refused(make, db, shop):
    other = provision_merchant(db.session, make.merchant(name="另一家"))
    db.session.commit()
    code = _code(db, other)
    with pytest.raises(AlipayAuthFailed):
        alipay.user_id_for_code(shop, code)


def test_does_the_gateway_refuse_a_request_signed_with_another_key(app, db, shop):
    code = _code(db, shop)
    impostor = AliPay(appid=shop.alipay_app_id, app_private_key_string=_new_private_pem(),
                      alipay_public_key_string=shop.alipay_public_key, sign_type="RSA2")
    query = impostor.sign_data(impostor.build_body("alipay.system.oauth.token", grant_type="authorization_code",
                                                   code=code))
    body = requests.get(f"{app.config['ALIPAY_GATEWAY']}?{query}", timeout=10).json()
    assert body["alipay_system_oauth_token_response"]["sub_code"] == "isv.invalid-signature"
    db.session.expire_all()
    assert db.session.query(SandboxGrant).filter_by(value=code).one().used_at is None  # the code is still unused


def test_does_the_gateway_refuse_a_tampered_parameter(app, db, shop):
    code = _code(db, shop)
    client = alipay.client_for(shop)
    query = client.sign_data(client.build_body("alipay.system.oauth.token", grant_type="authorization_code",
                                               code=code))
    tampered = query.replace(f"code={code}", f"code={_code(db, shop, value='another-code')}")
    body = requests.get(f"{app.config['ALIPAY_GATEWAY']}?{tampered}", timeout=10).json()
    assert body["alipay_system_oauth_token_response"]["sub_code"] == "isv.invalid-signature"


def test_is_a_response_not_signed_by_alipay_refused(db, shop):
    code = _code(db, shop)
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    shop.alipay_public_key = stranger.public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    with pytest.raises(AlipayAuthFailed, match="验签失败"):
        alipay.user_id_for_code(shop, code)


def test_without_app_id_and_keys_is_alipay_not_configured(make, db):
    bare = make.merchant(name="未开通")
    with pytest.raises(ChannelNotConfigured):
        alipay.client_for(bare)
    with pytest.raises(ChannelNotConfigured):
        alipay.auth_url(bare, "http://x/", "s")


def test_are_bare_base64_keys_from_the_alipay_console_accepted(db, shop):
    def bare(pem_text):
        return "".join(line for line in pem_text.strip().splitlines() if not line.startswith("-----"))

    shop.alipay_private_key = bare(shop.alipay_private_key)
    shop.alipay_public_key = bare(shop.alipay_public_key)
    assert alipay.user_id_for_code(shop, _code(db, shop)) == "2088000000000123"


def test_does_the_auth_page_let_a_person_create_an_alipay_user_and_return_with_a_code(client, db, shop):
    params = {"app_id": shop.alipay_app_id, "scope": "auth_base", "redirect_uri": "http://127.0.0.1/h5/x/oauth/alipay",
              "state": "s1"}
    page = client.get("/sandbox/alipay/auth", query_string=params)
    assert page.status_code == 200 and "新建并登录" in page.get_data(as_text=True)
    created = client.post("/sandbox/alipay/auth", data={**params, "nickname": "小支"})
    assert created.status_code == 302
    returned = {k: v[0] for k, v in parse_qs(urlsplit(created.headers["Location"]).query).items()}
    assert returned["state"] == "s1" and returned["app_id"] == shop.alipay_app_id
    user_id = alipay.user_id_for_code(shop, returned["auth_code"])
    assert user_id.startswith("2088") and len(user_id) == 16
    # The phone remembers the user: the next auth is silent.
    again = client.get("/sandbox/alipay/auth", query_string=params)
    assert again.status_code == 302
    assert alipay.user_id_for_code(shop, parse_qs(urlsplit(again.headers["Location"]).query)["auth_code"][0]) == user_id


def test_does_the_auth_page_refuse_an_unknown_app(client, shop):
    response = client.get("/sandbox/alipay/auth", query_string={"app_id": "2021999", "redirect_uri": "http://x/"})
    assert response.status_code == 400
