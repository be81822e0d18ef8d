"""Member H5 login: which app we are in, WeChat OAuth and Alipay auth_base, state and code checks."""
from tests.web.member_h5 import test_h5_support
from tests.web.helpers import text_of
from tests.web.member_h5.test_h5_support import (
    ALIPAY_UA, WECHAT_UA, alipay_user, claim_card, path_of, query_of, sign_in, start_alipay_login,
    start_wechat_login, wechat_login, wechat_user)

shop = test_h5_support.shop  # the fixture


def test_outside_wechat_and_alipay_is_the_page_told_to_open_it_in_one_of_them(client, shop):
    response = client.get(f"/h5/{shop.slug}/", headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120"})
    assert response.status_code == 200
    page = text_of(response)
    assert "请在微信或支付宝中打开" in page
    assert 'href="/sandbox/phone"' in page  # the sandbox is on in tests


def test_does_an_unknown_merchant_slug_get_404(client, shop):
    assert client.get("/h5/no-such-shop/", headers={"User-Agent": WECHAT_UA}).status_code == 404


def test_inside_wechat_is_the_login_a_silent_snsapi_base_oauth_with_a_random_state(client, shop):
    first = client.get(f"/h5/{shop.slug}/", headers={"User-Agent": WECHAT_UA})
    assert first.status_code == 302
    target = first.headers["Location"]
    assert "/sandbox/wechat/open/connect/oauth2/authorize" in target
    params = query_of(target.split("#")[0])
    assert params["scope"] == "snsapi_base" and params["appid"] == shop.wechat_app_id
    assert params["redirect_uri"].endswith(f"/h5/{shop.slug}/oauth/wechat")
    second = client.get(f"/h5/{shop.slug}/", headers={"User-Agent": WECHAT_UA})
    assert query_of(second.headers["Location"].split("#")[0])["state"] != params["state"]
    assert len(params["state"]) >= 16


def test_does_a_merchant_that_asks_for_nickname_and_avatar_get_snsapi_userinfo(client, db, shop):
    from services.wechat.settings import settings_for

    settings_for(db.session, shop.id).oauth_userinfo = True
    db.session.commit()
    first = client.get(f"/h5/{shop.slug}/", headers={"User-Agent": WECHAT_UA})
    assert query_of(first.headers["Location"].split("#")[0])["scope"] == "snsapi_userinfo"


def test_does_a_new_wechat_user_land_on_the_claim_page_after_login(client, db, shop):
    person = wechat_user(db, shop)
    back = wechat_login(client, shop, person)
    assert back.status_code == 302 and back.headers["Location"].endswith(f"/h5/{shop.slug}/claim")
    with client.session_transaction() as session:
        login = session["h5_login"]
    assert (login["m"], login["c"], login["u"], login["a"]) == (shop.id, "wechat", person.user_key,
                                                                shop.wechat_app_id)


def test_is_a_returning_member_taken_straight_to_the_member_centre(client, db, shop):
    person = wechat_user(db, shop)
    wechat_login(client, shop, person)
    assert claim_card(client, db, shop, "13800000001").status_code == 302
    with client.session_transaction() as session:
        session.clear()
    back = wechat_login(client, shop, person)
    assert back.headers["Location"].endswith(f"/h5/{shop.slug}/member")


def test_is_a_returned_state_that_does_not_match_refused(client, db, shop):
    person = wechat_user(db, shop)
    back = start_wechat_login(client, shop, person)
    forged = path_of(back).replace(f"state={query_of(back)['state']}", "state=forged-state-value")
    response = client.get(forged, headers={"User-Agent": WECHAT_UA})
    assert response.status_code == 400
    assert "登录校验未通过" in text_of(response)
    with client.session_transaction() as session:
        assert "h5_login" not in session


def test_is_a_return_without_a_started_login_refused(client, db, shop):
    person = wechat_user(db, shop)
    back = start_wechat_login(client, shop, person)
    with client.session_transaction() as session:
        session.pop("h5_oauth")
    response = client.get(path_of(back), headers={"User-Agent": WECHAT_UA})
    assert response.status_code == 400


def test_can_an_oauth_code_be_used_only_once(client, app, db, shop):
    person = wechat_user(db, shop)
    back = start_wechat_login(client, shop, person)
    assert client.get(path_of(back), headers={"User-Agent": WECHAT_UA}).status_code == 302
    # Replaying the same return URL in another browser that started its own login: the state matches
    # there, but the sandbox refuses the code because it was used.
    other = app.test_client()
    other.set_cookie("sandbox_wechat_user", str(person.id))
    other.get(f"/h5/{shop.slug}/", headers={"User-Agent": WECHAT_UA})
    with other.session_transaction() as session:
        session["h5_oauth"] = {**session["h5_oauth"], "s": query_of(back)["state"]}
    replay = other.get(path_of(back), headers={"User-Agent": WECHAT_UA})
    assert replay.status_code == 502
    assert "微信授权未完成或已过期" in text_of(replay)
    with other.session_transaction() as session:
        assert "h5_login" not in session


def test_is_the_state_used_once_so_reloading_the_return_url_is_refused(client, db, shop):
    person = wechat_user(db, shop)
    back = start_wechat_login(client, shop, person)
    assert client.get(path_of(back), headers={"User-Agent": WECHAT_UA}).status_code == 302
    again = client.get(path_of(back), headers={"User-Agent": WECHAT_UA})
    assert again.status_code == 400


def test_inside_alipay_does_auth_base_log_the_user_in_with_their_user_id(client, db, shop):
    person = alipay_user(db, shop)
    back = start_alipay_login(client, shop, person)
    params = query_of(back)
    assert params["app_id"] == shop.alipay_app_id and params["scope"] == "auth_base" and params["auth_code"]
    landed = client.get(path_of(back), headers={"User-Agent": ALIPAY_UA})
    assert landed.headers["Location"].endswith(f"/h5/{shop.slug}/claim")
    with client.session_transaction() as session:
        assert session["h5_login"]["c"] == "alipay" and session["h5_login"]["u"] == person.user_key


def test_is_an_alipay_state_mismatch_refused(client, db, shop):
    person = alipay_user(db, shop)
    back = start_alipay_login(client, shop, person)
    response = client.get(path_of(back).replace("state=", "state=x"), headers={"User-Agent": ALIPAY_UA})
    assert response.status_code == 400


def test_in_the_sandbox_does_the_phone_cookie_choose_the_app(client, db, shop):
    client.set_cookie("sandbox_client", "alipay")
    response = client.get(f"/h5/{shop.slug}/", headers={"User-Agent": WECHAT_UA})
    assert "/sandbox/alipay/auth" in response.headers["Location"]


def test_without_a_configured_official_account_is_the_page_a_clear_message(client, make, db):
    bare = make.merchant(name="未开通")
    db.session.commit()
    response = client.get(f"/h5/{bare.slug}/", headers={"User-Agent": WECHAT_UA})
    assert response.status_code == 503
    assert "公众号" in text_of(response)


def test_is_a_login_for_one_merchant_no_login_for_another(client, make, db, shop):
    other = make.merchant(name="别家")
    db.session.commit()
    sign_in(client, shop, "wechat", "o-someone")
    response = client.get(f"/h5/{other.slug}/member", headers={"User-Agent": "curl"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/h5/{other.slug}/")


def test_is_next_limited_to_this_merchants_member_pages(client, db, shop):
    person = wechat_user(db, shop)
    wechat_login(client, shop, person)
    claim_card(client, db, shop, "13800000002")
    for evil in ("https://evil.example/", "//evil.example/", "/h5/other/member", "/backoffice/"):
        response = client.get(f"/h5/{shop.slug}/", query_string={"next": evil})
        assert response.headers["Location"] == f"/h5/{shop.slug}/", evil


def test_with_snsapi_userinfo_does_the_user_consent_and_the_unionid_get_bound(client, db, shop):
    from services.members import members
    from services.wechat.settings import settings_for

    settings_for(db.session, shop.id).oauth_userinfo = True
    db.session.commit()
    person = wechat_user(db, shop)
    client.set_cookie("sandbox_wechat_user", str(person.id))
    opened = client.get(f"/h5/{shop.slug}/", headers={"User-Agent": WECHAT_UA})
    consent = client.get(path_of(opened.headers["Location"].split("#")[0]))
    assert consent.status_code == 200  # WeChat asks the user to allow nickname and avatar
    allowed = client.post("/sandbox/wechat/open/connect/oauth2/authorize",
                          data={**query_of(opened.headers["Location"].split("#")[0]), "action": "allow"})
    assert allowed.status_code == 302
    assert client.get(path_of(allowed.headers["Location"])).headers["Location"].endswith("/claim")
    with client.session_transaction() as session:
        assert session["h5_login"]["n"] == person.unionid
    claim_card(client, db, shop, "13800000003")
    member = members.find_by_mobile(db.session, shop.id, "13800000003")
    assert {(i.kind, i.value) for i in member.identities} >= {("wechat_unionid", person.unionid)}


def test_does_the_simulated_phones_alipay_user_reach_the_claim_page_silently(client, db, shop):
    opened = client.post("/sandbox/phone/alipay/user", data={"m": shop.slug, "action": "create", "nickname": "小支"})
    assert opened.headers["Location"] == f"/h5/{shop.slug}/"
    to_alipay = client.get(opened.headers["Location"], headers={"User-Agent": "curl"})  # the cookie says Alipay
    assert "/sandbox/alipay/auth" in to_alipay.headers["Location"]
    back = client.get(path_of(to_alipay.headers["Location"]))
    assert back.status_code == 302 and "auth_code=" in back.headers["Location"]
    assert client.get(path_of(back.headers["Location"])).headers["Location"].endswith("/claim")


def test_does_a_signed_out_member_return_to_the_link_they_opened_with_its_query(client, shop):
    response = client.get(f"/h5/{shop.slug}/coupons/?t=7&ch=poster_qr", headers={"User-Agent": WECHAT_UA})
    assert response.status_code == 302
    assert "next=" in response.location and "ch%3Dposter_qr" in response.location
