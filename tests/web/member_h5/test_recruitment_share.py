"""A member page shared inside WeChat carries a tracked join link: a member shares their own invite link, a visitor
who came through a staff member's code passes on that staff member's link, anyone else the merchant's; 发送给朋友
counts under 微信 and 分享到朋友圈 under 朋友圈. The config is signed for this merchant's own pages only."""
import io
from urllib.parse import quote

from PIL import Image
from sqlalchemy import select
from wechatpy import WeChatClient

from domain import roles
from models import RecruitSettings, RecruitSource, SandboxGrant
from services.recruitment import sources
from services.wechat.jssdk import SHARE_API_LIST
from tests.web.helpers import text_of, wechat_member, wechat_phone
from tests.web.member_h5.test_h5_support import WECHAT_UA, shop  # noqa: F401  (the shop fixture)

PAGE = "http://localhost/h5/{slug}/?from=menu"


def share_config(client, shop, page=None):
    url = PAGE.format(slug=shop.slug) if page is None else page
    return client.get(f"/h5/{shop.slug}/share-config.json?url={quote(url, safe='')}",
                      headers={"User-Agent": WECHAT_UA})


def source_of(db, link):
    db.session.expire_all()
    return db.session.scalars(select(RecruitSource).where(RecruitSource.token == link.rsplit("/j/", 1)[1])).one()


def test_does_a_member_page_in_wechat_load_the_share_script_and_elsewhere_not(client, make, db, shop):
    wechat_member(make, shop, "o-share-1")
    wechat_phone(client, shop, "o-share-1")
    inside = text_of(client.get(f"/h5/{shop.slug}/member", headers={"User-Agent": WECHAT_UA}))
    assert 'id="wechat-share"' in inside and "js/share_wechat.js" in inside and "weixin-js-sdk/jweixin.js" in inside
    assert f'data-config-url="/h5/{shop.slug}/share-config.json"' in inside
    outside = text_of(client.get(f"/h5/{shop.slug}/member", headers={"User-Agent": "Mozilla/5.0 Chrome/120"}))
    assert 'id="wechat-share"' not in outside


def test_does_a_member_share_their_own_invite_link_per_channel(client, make, db, shop, live_server):
    person = wechat_member(make, shop, "o-share-2")
    wechat_phone(client, shop, "o-share-2")
    answer = share_config(client, shop)
    assert answer.status_code == 200, text_of(answer)
    body = answer.get_json()
    chat, timeline = source_of(db, body["chat"]["link"]), source_of(db, body["timeline"]["link"])
    assert (chat.kind, chat.member_id, chat.share_channel) == ("member", person.id, "wechat")
    assert (timeline.kind, timeline.member_id, timeline.share_channel) == ("member", person.id, "moments")
    assert body["chat"]["link"].startswith(live_server) and body["chat"]["imgUrl"].endswith("/share-card.png")
    assert "测试咖啡" in body["chat"]["title"] and body["chat"]["desc"]
    config = body["config"]
    ticket = db.session.scalars(select(SandboxGrant.value).where(SandboxGrant.kind == "jsapi_ticket",
                                                                 SandboxGrant.app_id == shop.wechat_app_id)).one()
    expected = WeChatClient(shop.wechat_app_id, shop.wechat_app_secret).jsapi.get_jsapi_signature(
        config["nonceStr"], ticket, config["timestamp"], PAGE.format(slug=shop.slug))
    assert config["signature"] == expected and config["jsApiList"] == list(SHARE_API_LIST)
    again = share_config(client, shop).get_json()
    assert again["chat"]["link"] == body["chat"]["link"]  # the same source, not a new one each time


def test_does_a_visitor_brought_by_a_staff_member_pass_on_that_staff_members_link(client, make, db, shop,
                                                                                  live_server):
    store = make.store(shop, "东门店")
    guide = make.staff(shop, role=roles.GUIDE, username="guide", stores_=[store])
    code = sources.for_staff(db.session, guide, store_id=store.id)
    db.session.commit()
    assert client.get(f"/h5/{shop.slug}/j/{code.token}").status_code == 302  # scanned, not yet a member
    body = share_config(client, shop).get_json()
    chat, timeline = source_of(db, body["chat"]["link"]), source_of(db, body["timeline"]["link"])
    assert (chat.kind, chat.staff_id, chat.store_id, chat.share_channel) == ("staff", guide.id, store.id, "wechat")
    assert (timeline.staff_id, timeline.share_channel) == (guide.id, "moments")
    assert guide.name in body["chat"]["title"]


def test_does_anyone_else_share_the_merchants_own_channel_link(client, db, shop, live_server):
    body = share_config(client, shop).get_json()
    chat = source_of(db, body["chat"]["link"])
    assert (chat.kind, chat.share_channel, chat.staff_id, chat.member_id) == ("share", "wechat", None, None)


def test_with_invites_off_does_a_member_share_the_merchants_link(client, make, db, shop, live_server):
    wechat_member(make, shop, "o-share-3")
    db.session.add(RecruitSettings(merchant_id=shop.id, invite_enabled=False, rebind_guide_on_scan=False,
                                   referral_rewards={}))
    db.session.commit()
    wechat_phone(client, shop, "o-share-3")
    chat = source_of(db, share_config(client, shop).get_json()["chat"]["link"])
    assert chat.kind == "share"


def test_is_a_page_of_another_site_or_merchant_not_signed(client, make, db, shop):
    other = make.merchant(slug="other-shop")
    db.session.commit()
    for url in ("https://evil.example/h5/{slug}/", "http://localhost/h5/other-shop/", "http://localhost/staff/", ""):
        refused = share_config(client, shop, url.format(slug=shop.slug))
        assert refused.status_code == 400 and "error" in refused.get_json()
    assert db.session.scalar(select(RecruitSource.id)) is None and other.id


def test_does_a_merchant_without_an_official_account_get_a_reason(client, make, db):
    plain = make.merchant(name="无公众号")
    db.session.commit()
    answer = client.get(f"/h5/{plain.slug}/share-config.json?url={quote(f'http://localhost/h5/{plain.slug}/')}")
    assert answer.status_code in (400, 503) and "公众号" in answer.get_json()["error"]
    assert 'id="wechat-share"' not in text_of(client.get(f"/h5/{plain.slug}/member", headers={"User-Agent": WECHAT_UA}))


def test_is_the_share_picture_the_card_as_a_png(client, shop):
    answer = client.get(f"/h5/{shop.slug}/share-card.png")
    assert answer.status_code == 200 and answer.mimetype == "image/png"
    image = Image.open(io.BytesIO(answer.data))
    image.load()
    assert image.size == (300, 300)
    assert client.get(f"/h5/{shop.slug}/share-card.png?template_id=999999").status_code == 404
