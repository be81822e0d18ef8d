"""Back office: the official account's settings, keyword replies and menu."""
import pytest

from domain import roles
from models import AuditLog, KeywordReply, SandboxGrant, WechatSettings
from sandbox import wechat_state as sbx
from tests.web.helpers import count, fresh, text_of

NEW_KEY, OTHER_KEY = "k" * 42 + "K", "m" * 42 + "M"
APP_ID, OTHER_APP_ID = "wx0b0ff1ce00000001", "wxc4a9ed0000000001"  # WeChat's shape: wx + 16 hex digits


@pytest.fixture()
def wechat_merchant(merchant, db):
    merchant.wechat_app_id, merchant.wechat_app_secret, merchant.wechat_token = APP_ID, "z" * 32, "tok456"
    db.session.commit()
    return merchant


def settings_of(merchant):
    from extensions import db

    db.session.expire_all()
    return db.session.query(WechatSettings).filter_by(merchant_id=merchant.id).one()


MENU_FORM = {
    "menu-0-name": "会员卡", "menu-0-type": "view", "menu-0-url": "https://example.com/h5/",
    "menu-1-name": "服务",
    "menu-1-sub-0-name": "营业时间", "menu-1-sub-0-type": "click", "menu-1-sub-0-reply": "每天 8:00-22:00",
    "menu-1-sub-1-name": "门店地址", "menu-1-sub-1-type": "view", "menu-1-sub-1-url": "https://example.com/map",
}


# --- who may --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", [roles.OPERATOR, roles.CUSTOMER_SERVICE, roles.CASHIER])
def test_may_only_owners_and_admins_open_the_official_account_pages(sign_in_as, client, role):
    sign_in_as(role)
    for path in ("/backoffice/wechat", "/backoffice/wechat/keywords", "/backoffice/wechat/menu"):
        assert client.get(path).status_code == 403
    assert client.post("/backoffice/wechat/menu/publish").status_code == 403


def test_does_the_admin_see_the_callback_url_and_the_nav_entry(sign_in_as, client, merchant):
    sign_in_as(roles.ADMIN)
    page = text_of(client.get("/backoffice/wechat"))
    assert f"/wechat/{merchant.slug}/callback" in page and "公众号" in page


def test_is_a_signed_out_visitor_sent_to_the_login(client, merchant):
    response = client.get("/backoffice/wechat")
    assert response.status_code == 302 and "/backoffice/login" in response.location


# --- settings ---------------------------------------------------------------------------------------------

def test_can_the_owner_set_the_welcome_default_reply_and_notices(as_owner, merchant):
    response = as_owner.post("/backoffice/wechat", data={
        "welcome_text": "欢迎来到测试咖啡", "default_reply": "", "oauth_userinfo": "y",
        "notify_points": "y", "tpl_points_changed": "TPL-POINTS", "notify_level": "y", "tpl_level_up": "TPL-LEVEL"})
    assert response.status_code == 302
    settings = settings_of(merchant)
    assert (settings.welcome_text, settings.default_reply, settings.oauth_userinfo) == ("欢迎来到测试咖啡", "", True)
    assert (settings.notify_points, settings.notify_balance) == (True, False)
    assert settings.template_ids == {"points_changed": "TPL-POINTS", "level_up": "TPL-LEVEL"}
    assert count(AuditLog, AuditLog.action == "wechat.settings") == 1


def test_are_the_gifts_now_set_as_rules_and_linked_from_the_settings(as_owner, merchant):
    page = text_of(as_owner.get("/backoffice/wechat"))
    assert "registration_points" not in page and "follow_gift_points" not in page
    assert "/backoffice/reward-rules?tab=registration" in page


def test_does_a_new_aes_key_keep_the_old_one_as_previous_until_dropped(as_owner, wechat_merchant):
    as_owner.post("/backoffice/wechat/account", data={"wechat_app_id": APP_ID, "new_aes_key": NEW_KEY,
                                                      "wechat_message_mode": "compatible"})
    assert fresh(wechat_merchant).wechat_aes_key == NEW_KEY
    as_owner.post("/backoffice/wechat/account", data={"wechat_app_id": APP_ID, "new_aes_key": OTHER_KEY,
                                                      "wechat_message_mode": "compatible"})
    merchant = fresh(wechat_merchant)
    assert merchant.wechat_aes_key == f"{OTHER_KEY},{NEW_KEY}"
    assert (merchant.wechat_app_secret, merchant.wechat_token) == ("z" * 32, "tok456")  # blank keeps secrets
    assert "另有上一个密钥" in text_of(as_owner.get("/backoffice/wechat"))
    as_owner.post("/backoffice/wechat/account", data={"wechat_app_id": APP_ID, "drop_previous_key": "y",
                                                      "wechat_message_mode": "compatible"})
    assert fresh(wechat_merchant).wechat_aes_key == OTHER_KEY


def test_are_a_malformed_aes_key_and_token_refused(as_owner, wechat_merchant):
    plain = {"wechat_app_id": APP_ID, "wechat_message_mode": "plain"}
    bad_key = as_owner.post("/backoffice/wechat/account", data={**plain, "new_aes_key": "!" * 43})
    bad_token = as_owner.post("/backoffice/wechat/account", data={**plain, "wechat_token": "有中文"})
    assert bad_key.status_code == 400 and "EncodingAESKey" in text_of(bad_key)
    assert bad_token.status_code == 400 and fresh(wechat_merchant).wechat_token == "tok456"


def test_does_saving_the_account_leave_the_alipay_credentials_alone(as_owner, wechat_merchant, db):
    wechat_merchant.alipay_app_id, wechat_merchant.alipay_public_key = "2021000000000001", "PUBLIC KEY"
    db.session.commit()
    as_owner.post("/backoffice/wechat/account", data={"wechat_app_id": OTHER_APP_ID, "wechat_message_mode": "plain"})
    merchant = fresh(wechat_merchant)
    assert (merchant.wechat_app_id, merchant.alipay_app_id, merchant.alipay_public_key) == (
        OTHER_APP_ID, "2021000000000001", "PUBLIC KEY")


# --- keywords ---------------------------------------------------------------------------------------------

def test_can_the_owner_add_edit_and_delete_a_keyword_reply(as_owner, merchant):
    response = as_owner.post("/backoffice/wechat/keywords/new", data={
        "keyword": "营业时间", "match": "contains", "reply_text": "每天 8:00-22:00", "position": "1", "active": "y"})
    assert response.status_code == 302
    row = fresh_keyword(merchant)
    assert (row.keyword, row.match, row.active) == ("营业时间", "contains", True)
    assert "营业时间" in text_of(as_owner.get("/backoffice/wechat/keywords"))
    as_owner.post(f"/backoffice/wechat/keywords/{row.id}/edit", data={
        "keyword": "营业时间", "match": "exact", "reply_text": "全年无休", "position": "2"})
    row = fresh(row)
    assert (row.match, row.reply_text, row.active) == ("exact", "全年无休", False)
    assert as_owner.post(f"/backoffice/wechat/keywords/{row.id}/delete").status_code == 302
    assert count(KeywordReply, KeywordReply.merchant_id == merchant.id) == 0
    assert count(AuditLog, AuditLog.action.like("wechat.keyword.%")) == 3


def test_is_a_duplicate_keyword_refused(as_owner, merchant):
    data = {"keyword": "会员", "match": "exact", "reply_text": "回复", "active": "y"}
    as_owner.post("/backoffice/wechat/keywords/new", data=data)
    again = as_owner.post("/backoffice/wechat/keywords/new", data=data)
    assert again.status_code == 400 and "已有相同的关键词" in text_of(again)


def test_is_another_merchants_keyword_a_404(as_owner, make, db):
    other = make.merchant(slug="othershop", with_levels=False)
    theirs = KeywordReply(merchant_id=other.id, keyword="秘密", match="exact", reply_text="别人的")
    db.session.add(theirs)
    db.session.commit()
    assert as_owner.get(f"/backoffice/wechat/keywords/{theirs.id}/edit").status_code == 404
    assert as_owner.post(f"/backoffice/wechat/keywords/{theirs.id}/edit", data={
        "keyword": "改掉", "match": "exact", "reply_text": "x"}).status_code == 404
    assert as_owner.post(f"/backoffice/wechat/keywords/{theirs.id}/delete").status_code == 404
    assert fresh(theirs).keyword == "秘密"


def fresh_keyword(merchant):
    from extensions import db

    db.session.expire_all()
    return db.session.query(KeywordReply).filter_by(merchant_id=merchant.id).one()


# --- menu -------------------------------------------------------------------------------------------------

def test_can_the_owner_save_a_menu_with_a_link_and_a_submenu(as_owner, merchant):
    assert as_owner.post("/backoffice/wechat/menu", data=MENU_FORM).status_code == 302
    menu = settings_of(merchant).menu
    assert menu[0] == {"name": "会员卡", "type": "view", "url": "https://example.com/h5/"}
    assert menu[1]["name"] == "服务" and [s["name"] for s in menu[1]["sub_button"]] == ["营业时间", "门店地址"]
    assert menu[1]["sub_button"][0] == {"name": "营业时间", "type": "click", "key": "M2_1", "reply": "每天 8:00-22:00"}
    page = text_of(as_owner.get("/backoffice/wechat/menu"))
    assert "每天 8:00-22:00" in page and "尚未发布" in page


@pytest.mark.parametrize("field, value, message", [
    ("menu-0-name", "会员卡和积分商城首页", "名称不能超过 8 个汉字"),
    ("menu-0-url", "javascript:alert(1)", "请填写以 http:// 或 https:// 开头的链接"),
    ("menu-1-sub-0-reply", "", "请填写点击后的回复内容"),
    ("menu-1-sub-0-name", "", "请填写名称"),
], ids=["top name too long", "not a web link", "click without reply", "nameless item"])
def test_is_an_invalid_menu_refused_with_a_clear_message(as_owner, merchant, field, value, message):
    response = as_owner.post("/backoffice/wechat/menu", data={**MENU_FORM, field: value})
    assert response.status_code == 400 and message in text_of(response)
    assert saved_menu(merchant) == []


def saved_menu(merchant):
    from extensions import db

    db.session.expire_all()
    row = db.session.query(WechatSettings).filter_by(merchant_id=merchant.id).one_or_none()
    return row.menu if row is not None else []


def test_does_publishing_send_the_menu_to_the_sandbox_and_record_when(as_owner, wechat_merchant, db, live_server):
    as_owner.post("/backoffice/wechat/menu", data=MENU_FORM)
    response = as_owner.post("/backoffice/wechat/menu/publish")
    assert response.status_code == 302
    assert "菜单已发布" in text_of(as_owner.get(response.location))
    published = sbx.published_menu(db.session, APP_ID)
    assert published[0] == {"type": "view", "name": "会员卡", "url": "https://example.com/h5/"}
    assert published[1]["sub_button"][0] == {"type": "click", "name": "营业时间", "key": "M2_1"}  # no reply sent
    assert settings_of(wechat_merchant).menu_published_at is not None
    as_owner.post("/backoffice/wechat/menu/publish")
    assert count(SandboxGrant, SandboxGrant.kind == "access_token") == 1  # one token for both publishes


def test_does_a_refused_publish_say_why(as_owner, wechat_merchant, db, live_server):
    from services.wechat.settings import settings_for

    settings = settings_for(db.session, wechat_merchant.id)  # a menu the editor would refuse, written directly
    settings.menu = [{"name": f"菜单{i}", "type": "click", "key": f"K{i}", "reply": "x"} for i in range(4)]
    db.session.commit()
    response = as_owner.post("/backoffice/wechat/menu/publish", follow_redirects=True)
    assert "发布失败" in text_of(response) and "40016" in text_of(response)
    assert settings_of(wechat_merchant).menu_published_at is None


def test_does_an_unreachable_api_say_so(as_owner, wechat_merchant, app, monkeypatch):
    as_owner.post("/backoffice/wechat/menu", data=MENU_FORM)
    monkeypatch.setitem(app.config, "WECHAT_API_BASE", "http://127.0.0.1:9/")
    response = as_owner.post("/backoffice/wechat/menu/publish", follow_redirects=True)
    assert "无法连接微信接口" in text_of(response)


def test_does_publishing_without_credentials_say_so(as_owner, merchant):
    as_owner.post("/backoffice/wechat/menu", data=MENU_FORM)
    response = as_owner.post("/backoffice/wechat/menu/publish", follow_redirects=True)
    assert "发布失败" in text_of(response) and "AppID" in text_of(response)
