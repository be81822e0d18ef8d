"""Member H5: receipt QR claim page, giving a coupon to a friend, and exchanging points for a coupon."""
import re

import pytest

from domain import coupons as rules
from domain import roles
from models import CouponCode, Transfer
from services.coupons import (issue as coupon_issue, links as coupon_links, sharing as coupon_sharing,
                              templates as coupon_templates)
from services.points import ledger as points
from tests.web.member_h5 import test_h5_support
from tests.web.helpers import fresh, text_of, wechat_member, wechat_phone

shop = test_h5_support.shop  # the fixture
OPENID = "o-extras-member-0000000000000001"
FRIEND_OPENID = "o-extras-member-0000000000000002"


@pytest.fixture()
def owner(make, shop):
    return make.staff(shop, role=roles.OWNER)


@pytest.fixture()
def member(make, db, shop):
    return wechat_member(make, shop, OPENID, mobile="13600000011")


@pytest.fixture()
def friend(make, db, shop):
    return wechat_member(make, shop, FRIEND_OPENID, mobile="13600000012")


def template(db, owner, **overrides):
    values = {"kind": "cash", "title": "小票券", "amount_off": 1000, "validity_mode": "relative", "valid_days": 30}
    values.update(overrides)
    row = coupon_templates.save_template(db.session, owner, None, **values)
    db.session.commit()
    return row


def test_does_a_receipt_link_show_the_coupon_then_claim_it_once(client, db, shop, owner, member, friend):
    tpl = template(db, owner)
    token = coupon_links.create_claim_link(db.session, shop, tpl.id, "pay-h5-1")
    db.session.commit()
    url = f"/h5/{shop.slug}/coupons/link/{token}"

    assert client.get(url).status_code == 302, "login first, as for other member pages"
    phone = wechat_phone(client, shop, OPENID)
    page = text_of(phone.get(url))
    assert "小票券" in page and 'id="link-claim"' in page
    done = phone.post(url)
    assert done.status_code == 200 and "领取成功" in text_of(done)
    code = db.session.query(CouponCode).filter_by(member_id=member.id).one()
    assert code.channel == "receipt_qr"

    other = wechat_phone(client, shop, FRIEND_OPENID)
    assert "该二维码已领取" in text_of(other.get(url))
    again = other.post(url)
    assert again.status_code == 409 and "该二维码已领取" in text_of(again)
    assert other.get(f"/h5/{shop.slug}/coupons/link/not-a-token").status_code == 404


def test_can_a_member_give_a_coupon_to_a_friend_through_the_pages(client, db, shop, owner, member, friend):
    tpl = template(db, owner, title="可转赠券", shareable=True)
    code = coupon_issue.claim(db.session, shop, tpl.id, member.id, channel="h5", key="give:1")
    db.session.commit()
    giver = wechat_phone(client, shop, OPENID)
    detail = text_of(giver.get(f"/h5/{shop.slug}/coupons/code/{code.id}"))
    assert "赠送给好友" in detail

    made = giver.post(f"/h5/{shop.slug}/coupons/code/{code.id}/share")
    assert made.status_code == 302 and "/coupons/gift/" in made.headers["Location"]
    gift_url = made.headers["Location"]
    token = gift_url.rsplit("/", 1)[1]
    link_page = text_of(giver.get(gift_url))
    assert "<svg" in link_page and token in link_page and "取消赠送" in link_page
    own = giver.post(gift_url)
    assert own.status_code == 409 and "不能领取自己分享的券" in text_of(own)

    taker = wechat_phone(client, shop, FRIEND_OPENID)
    assert 'id="gift-accept"' in text_of(taker.get(gift_url))
    accepted = taker.post(gift_url)
    assert accepted.status_code == 200 and "领取成功" in text_of(accepted)
    assert fresh(code).state == rules.TRANSFERRED
    received = db.session.query(CouponCode).filter_by(member_id=friend.id).one()
    assert received.channel == "friend" and received.shared_from_id == code.id
    assert "赠送给好友" not in text_of(taker.get(f"/h5/{shop.slug}/coupons/code/{received.id}"))

    giver = wechat_phone(client, shop, OPENID)
    expired_tab = text_of(giver.get(f"/h5/{shop.slug}/coupons/?tab=expired"))
    assert f'data-code-id="{code.id}"' in expired_tab and "已转赠给好友" in expired_tab
    assert "好友已领取" in text_of(giver.get(gift_url))


def test_does_a_not_shareable_coupon_show_no_gift_button_and_refuse_a_forged_post(
        client, db, shop, owner, member):
    tpl = template(db, owner, title="普通券")
    code = coupon_issue.claim(db.session, shop, tpl.id, member.id, channel="h5", key="plain:1")
    db.session.commit()
    phone = wechat_phone(client, shop, OPENID)
    assert "赠送给好友" not in text_of(phone.get(f"/h5/{shop.slug}/coupons/code/{code.id}"))
    refused = phone.post(f"/h5/{shop.slug}/coupons/code/{code.id}/share", follow_redirects=True)
    assert "该券不支持转赠" in text_of(refused)


def test_can_the_giver_cancel_before_the_friend_accepts(client, db, shop, owner, member, friend):
    tpl = template(db, owner, title="可转赠券", shareable=True)
    code = coupon_issue.claim(db.session, shop, tpl.id, member.id, channel="h5", key="give:2")
    token = coupon_sharing.create_share(db.session, shop, member.id, code.id)
    db.session.commit()
    giver = wechat_phone(client, shop, OPENID)
    assert "赠送中" in text_of(giver.get(f"/h5/{shop.slug}/coupons/code/{code.id}"))
    cancelled = giver.post(f"/h5/{shop.slug}/coupons/code/{code.id}/share/cancel", follow_redirects=True)
    assert "已取消赠送" in text_of(cancelled)
    taker = wechat_phone(client, shop, FRIEND_OPENID)
    assert "赠送已取消" in text_of(taker.get(f"/h5/{shop.slug}/coupons/gift/{token}"))
    assert taker.post(f"/h5/{shop.slug}/coupons/gift/{token}").status_code == 409
    assert fresh(code).state == rules.AVAILABLE


def test_does_the_claim_centre_offer_points_coupons_and_exchange_after_confirming(
        client, db, shop, owner, member):
    tpl = template(db, owner, kind="gift", title="积分换拿铁", amount_off=None, gift_item="拿铁", free_claim=False,
                   points_prices={member.level_id: 80})
    phone = wechat_phone(client, shop, OPENID)
    centre = text_of(phone.get(f"/h5/{shop.slug}/coupons/"))
    assert "80 积分兑换" in centre
    confirm_url = f"/h5/{shop.slug}/coupons/{tpl.id}/exchange"

    balance = fresh(member).points_balance  # the registration gift
    if balance < 80:
        points.earn(db.session, shop, member.id, 80 - balance, key="top-up")
        db.session.commit()
    page = text_of(phone.get(confirm_url))
    key = re.search(r'name="key"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="key"', page)
    key = key.group(1) or key.group(2)
    done = phone.post(confirm_url, data={"key": key})
    assert done.status_code == 302 and "/coupons/code/" in done.headers["Location"]
    assert fresh(member).points_balance == max(balance, 80) - 80
    again = phone.post(confirm_url, data={"key": key})  # a double tap replays
    assert again.status_code == 302 and db.session.query(CouponCode).filter_by(member_id=member.id).count() == 1

    short = text_of(phone.get(confirm_url))
    assert "积分不足，需要 80 积分" in short and 'id="exchange-form"' not in short
    forced = phone.post(confirm_url, data={"key": "exchange:forced-1"}, follow_redirects=True)
    assert "积分不足，需要 80 积分" in text_of(forced)
    assert [step.status_code for step in forced.history] == [302], "a refusal goes back to the page, not an error"


def test_is_a_level_without_a_price_told_it_cannot_exchange(client, db, shop, owner, member):
    tpl = template(db, owner, kind="gift", title="金卡专享", amount_off=None, gift_item="蛋糕", free_claim=False,
                   points_prices={member.level_id + 2: 50})
    phone = wechat_phone(client, shop, OPENID)
    balance = fresh(member).points_balance
    assert "您的等级不能兑换" in text_of(phone.get(f"/h5/{shop.slug}/coupons/"))
    page = text_of(phone.get(f"/h5/{shop.slug}/coupons/{tpl.id}/exchange"))
    assert "您的等级不能兑换该券" in page
    forced = phone.post(f"/h5/{shop.slug}/coupons/{tpl.id}/exchange", data={"key": "exchange:forced-2"},
                        follow_redirects=True)
    assert "您的等级不能兑换该券" in text_of(forced)
    assert db.session.query(CouponCode).count() == 0
    assert fresh(member).points_balance == balance


def test_do_the_gift_forms_carry_csrf_tokens_and_is_a_post_without_one_refused(
        app, monkeypatch, client, db, shop, owner, member):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    tpl = template(db, owner, title="可转赠券", shareable=True)
    code = coupon_issue.claim(db.session, shop, tpl.id, member.id, channel="h5", key="csrf:1")
    db.session.commit()
    phone = wechat_phone(client, shop, OPENID)
    page = text_of(phone.get(f"/h5/{shop.slug}/coupons/code/{code.id}"))
    token = re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    share_url = f"/h5/{shop.slug}/coupons/code/{code.id}/share"
    assert phone.post(share_url).status_code == 400
    assert db.session.query(Transfer).count() == 0
    assert phone.post(share_url, data={"csrf_token": token}).status_code == 302
    assert db.session.query(Transfer).count() == 1


def test_is_a_forged_free_claim_of_a_points_only_coupon_refused(client, db, shop, owner, member):
    tpl = template(db, owner, kind="gift", title="积分专享", amount_off=None, gift_item="蛋糕", free_claim=False,
                   points_prices={member.level_id: 50})
    phone = wechat_phone(client, shop, OPENID)
    balance = fresh(member).points_balance
    forged = phone.post(f"/h5/{shop.slug}/coupons/{tpl.id}/claim", data={"key": "claim:forged-1", "channel": "h5"},
                        follow_redirects=True)
    assert "该券需要积分兑换" in text_of(forged)
    assert db.session.query(CouponCode).count() == 0 and fresh(member).points_balance == balance


def test_is_a_coupon_for_sale_shown_with_its_price_and_not_claimable_free(client, db, shop, owner, member):
    tpl = template(db, owner, title="9.9 元抢 20 元券", free_claim=False, price=990)
    phone = wechat_phone(client, shop, OPENID)
    centre = text_of(phone.get(f"/h5/{shop.slug}/coupons/"))
    assert "9.9 元抢 20 元券" in centre and "¥9.90" in centre and f"/shop/coupon/{tpl.id}" in centre
    forged = phone.post(f"/h5/{shop.slug}/coupons/{tpl.id}/claim", data={"key": "claim:forged-2", "channel": "h5"},
                        follow_redirects=True)
    assert "该券需要购买" in text_of(forged) and db.session.query(CouponCode).count() == 0
