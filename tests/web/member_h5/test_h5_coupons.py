"""Member H5 coupons: wallet tabs, the claim centre under stock and limits, code detail with a refreshing QR."""
import gzip
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from domain import coupons as rules
from domain import roles
from domain.clock import now_utc
from models import CouponCode
from services.coupons import (issue as coupon_issue, member_wallet as coupon_wallet, templates as coupon_templates,
                              till_codes)
from services.shared import shown_tokens
from services.members import members
from services.coupons.member_wallet import CouponQrExpired, CouponQrInvalid
from tests.web.member_h5 import test_h5_support
from tests.web.helpers import fresh, text_of
from tests.web.member_h5.test_h5_page_weight import ASSET, BUDGET
from tests.web.member_h5.test_h5_support import sign_in

shop = test_h5_support.shop  # the fixture
OPENID = "o-coupon-member-000000000000001"
OTHER_OPENID = "o-coupon-member-000000000000002"


@pytest.fixture()
def owner(make, shop):
    return make.staff(shop, role=roles.OWNER)


@pytest.fixture()
def member(make, db, shop):
    person = make.member(shop, mobile="13600000001", name="韩梅梅")
    members.bind_identity(db.session, person, "wechat_openid", OPENID, shop.wechat_app_id)
    db.session.commit()
    return person


@pytest.fixture()
def phone(client, shop, member):
    sign_in(client, shop, "wechat", OPENID)
    return client


def template(db, owner, **overrides):
    values = {"kind": "cash", "title": "满100减20", "amount_off": 2000, "min_spend": 10000,
              "validity_mode": "relative", "valid_days": 30, "notes": "每桌限用一张"}
    values.update(overrides)
    row = coupon_templates.save_template(db.session, owner, None, **values)
    db.session.commit()
    return row


def give(db, shop, tpl, member, key, now=None):
    code = coupon_issue.claim(db.session, shop, tpl.id, member.id, channel="staff", key=key, now=now)
    db.session.commit()
    return code


def key_in(html, template_id):
    form = re.search(rf'action="[^"]*/coupons/{template_id}/claim".*?</form>', html, re.DOTALL).group(0)
    return re.search(r'name="key"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="key"', form).group(1)


def held(template_id, member_id):
    from extensions import db

    db.session.expire_all()
    return db.session.scalar(select(func.count(CouponCode.id)).where(CouponCode.template_id == template_id,
                                                                     CouponCode.member_id == member_id))


def test_do_the_wallet_tabs_sort_codes_into_usable_used_and_expired(make, db, shop, owner, member, phone):
    store = make.store(shop, "东门店")
    long_one = template(db, owner, title="长期券", valid_days=60)
    short_one = template(db, owner, kind="discount", title="八五折", amount_off=None, min_spend=None,
                         discount_percent=85, valid_days=3)
    gift = template(db, owner, kind="gift", title="拿铁兑换", amount_off=None, min_spend=None, gift_item="拿铁")
    usable_late = give(db, shop, long_one, member, "t:1")
    usable_soon = give(db, shop, short_one, member, "t:2")
    used = give(db, shop, gift, member, "t:3")
    till_codes.verify(db.session, owner, used.code, store_id=store.id, method="manual", key="v:1")
    lapsed = give(db, shop, long_one, member, "t:4", now=now_utc() - timedelta(days=90))  # still 'available'
    db.session.commit()

    tabs = coupon_wallet.wallet_of(db.session, shop.id, member.id)
    assert [c.id for c in tabs.usable] == [usable_soon.id, usable_late.id]  # soonest to end first
    assert [c.id for c in tabs.used] == [used.id]
    assert [(c.id, reason) for c, reason in tabs.expired] == [(lapsed.id, "已过期")]

    page = text_of(phone.get(f"/h5/{shop.slug}/coupons/"))
    assert page.index(f'data-code-id="{usable_soon.id}"') < page.index(f'data-code-id="{usable_late.id}"')
    assert "8.5折" in page and "满100减20" in page and f'data-code-id="{used.id}"' not in page
    used_tab = text_of(phone.get(f"/h5/{shop.slug}/coupons/?tab=used"))
    assert f'data-code-id="{used.id}"' in used_tab and "东门店" in used_tab and "兑换：拿铁" in used_tab
    expired_tab = text_of(phone.get(f"/h5/{shop.slug}/coupons/?tab=expired"))
    assert f'data-code-id="{lapsed.id}"' in expired_tab and "已过期" in expired_tab
    assert "领券中心" in page


def test_does_the_claim_centre_respect_stock_and_the_per_member_limit_with_a_clear_message(
        make, db, shop, owner, member, phone):
    limited = template(db, owner, title="限领券", per_member_limit=1)
    scarce = template(db, owner, title="限量券", stock_total=1)
    other = make.member(shop, mobile="13600000002")
    give(db, shop, scarce, other, "other:1")  # the only one is gone

    page = text_of(phone.get(f"/h5/{shop.slug}/coupons/"))
    assert "已领完" in page and "您还可领 1 张" in page
    first = phone.post(f"/h5/{shop.slug}/coupons/{limited.id}/claim", data={"key": key_in(page, limited.id)})
    assert first.status_code == 302 and first.headers["Location"].endswith("/coupons/")
    assert "领取成功" in text_of(phone.get(first.headers["Location"]))
    assert held(limited.id, member.id) == 1

    again = phone.post(f"/h5/{shop.slug}/coupons/{limited.id}/claim", data={"key": "h5:fresh-key-2"},
                       follow_redirects=True)
    assert "每人限领 1 张，您已领完" in text_of(again)
    assert held(limited.id, member.id) == 1

    sold_out = phone.post(f"/h5/{shop.slug}/coupons/{scarce.id}/claim", data={"key": "h5:fresh-key-3"},
                          follow_redirects=True)
    assert "券已领完" in text_of(sold_out)
    assert held(scarce.id, member.id) == 0 and fresh(scarce).stock_issued == 1


def test_does_a_double_submit_with_the_same_key_claim_once(db, shop, owner, member, phone):
    tpl = template(db, owner, title="双击券")
    page = text_of(phone.get(f"/h5/{shop.slug}/coupons/"))
    key = key_in(page, tpl.id)
    for _ in range(2):
        response = phone.post(f"/h5/{shop.slug}/coupons/{tpl.id}/claim", data={"key": key})
        assert response.status_code == 302
    assert held(tpl.id, member.id) == 1 and fresh(tpl).stock_issued == 1


def test_is_a_claim_without_a_key_refused_with_nothing_changed(db, shop, owner, member, phone):
    tpl = template(db, owner)
    response = phone.post(f"/h5/{shop.slug}/coupons/{tpl.id}/claim", data={}, follow_redirects=True)
    assert "页面已过期" in text_of(response) and held(tpl.id, member.id) == 0


def test_is_another_merchants_template_a_404(make, db, shop, member, phone):
    other = make.merchant(name="别家咖啡")
    theirs = template(db, make.staff(other, role=roles.OWNER), title="别家券")
    response = phone.post(f"/h5/{shop.slug}/coupons/{theirs.id}/claim", data={"key": "h5:k"})
    assert response.status_code == 404
    assert fresh(theirs).stock_issued == 0


def test_is_another_members_code_a_404(make, db, shop, owner, member, phone):
    tpl = template(db, owner)
    someone = make.member(shop, mobile="13600000003")
    theirs = give(db, shop, tpl, someone, "theirs:1")
    assert phone.get(f"/h5/{shop.slug}/coupons/code/{theirs.id}").status_code == 404
    assert phone.get(f"/h5/{shop.slug}/coupons/code/{theirs.id}/qr.json").status_code == 404


def test_does_the_code_page_show_benefit_validity_notes_and_the_grouped_code(db, shop, owner, member, phone):
    mine = give(db, shop, template(db, owner), member, "mine:1")
    page = text_of(phone.get(f"/h5/{shop.slug}/coupons/code/{mine.id}"))
    assert "满100减20" in page and "每桌限用一张" in page and rules.format_code(mine.code) in page
    assert "<svg" in page and "有效期" in page


def test_does_the_token_refresh_endpoint_return_a_new_svg(db, shop, owner, member, phone, monkeypatch):
    mine = give(db, shop, template(db, owner), member, "mine:2")
    page = text_of(phone.get(f"/h5/{shop.slug}/coupons/code/{mine.id}"))
    first_svg = re.search(r"<svg.*?</svg>", page, re.DOTALL).group(0)
    later = now_utc() + timedelta(seconds=30)
    monkeypatch.setattr(shown_tokens, "now_utc", lambda: later)
    refreshed = phone.get(f"/h5/{shop.slug}/coupons/code/{mine.id}/qr.json", headers={"Accept": "application/json"})
    assert refreshed.status_code == 200
    body = refreshed.get_json()
    assert body["svg"].startswith("<svg") and body["expires_in"] == 60
    assert body["svg"] != first_svg  # a token issued 30 s later


def test_does_the_code_token_resolve_within_60_seconds_and_then_expire(make, db, shop, owner, member):
    mine = give(db, shop, template(db, owner), member, "mine:3")
    issued = now_utc()
    token = coupon_wallet.code_token(mine, now=issued)
    assert coupon_wallet.resolve_code_token(db.session, shop.id, token, now=issued + timedelta(seconds=60)).id == mine.id
    with pytest.raises(CouponQrExpired):
        coupon_wallet.resolve_code_token(db.session, shop.id, token, now=issued + timedelta(seconds=61))
    for bad in ("", "garbage", token + "x"):
        with pytest.raises(CouponQrInvalid):
            coupon_wallet.resolve_code_token(db.session, shop.id, bad)
    other = make.merchant(name="别家")
    db.session.commit()
    with pytest.raises(CouponQrInvalid):
        coupon_wallet.resolve_code_token(db.session, other.id, token, now=issued)


def test_does_the_member_centre_link_to_my_coupons(shop, member, phone):
    assert f"/h5/{shop.slug}/coupons/" in text_of(phone.get(f"/h5/{shop.slug}/member"))


def _weight(client, path):
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    html = response.get_data()
    total = len(gzip.compress(html, 9))
    for asset in ASSET.findall(html.decode()):
        body = client.get(asset)
        assert body.status_code == 200, asset
        total += len(gzip.compress(body.get_data(), 9))
        body.close()
    return total


def test_are_the_coupon_pages_under_100_kb_gzipped(db, shop, owner, member, phone):
    templates = [template(db, owner, title=f"券{i:02d}", notes="说明" * 200) for i in range(20)]
    codes = [give(db, shop, t, member, f"w:{i}:{n}") for i, t in enumerate(templates) for n in range(3)]
    for path in ("coupons/", "coupons/?tab=used", "coupons/?tab=expired", f"coupons/code/{codes[0].id}"):
        assert _weight(phone, f"/h5/{shop.slug}/{path}") < BUDGET, path


def test_do_the_coupon_pages_avoid_fixed_widths_over_375px(db, shop, owner, member, phone):
    mine = give(db, shop, template(db, owner), member, "narrow:1")
    for path in ("coupons/", f"coupons/code/{mine.id}"):
        html = text_of(phone.get(f"/h5/{shop.slug}/{path}"))
        widths = [int(w) for w in re.findall(r"(?<![-\w])(?:min-)?width:\s*(\d+)px", html)]
        assert all(w <= 375 for w in widths), (path, widths)


def test_does_the_claim_form_need_its_csrf_token_when_csrf_is_on(app, db, shop, owner, member, phone, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    tpl = template(db, owner, title="防伪券")
    page = text_of(phone.get(f"/h5/{shop.slug}/coupons/"))
    token = re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    refused = phone.post(f"/h5/{shop.slug}/coupons/{tpl.id}/claim", data={"key": key_in(page, tpl.id)})
    assert refused.status_code in (302, 400) and held(tpl.id, member.id) == 0
    done = phone.post(f"/h5/{shop.slug}/coupons/{tpl.id}/claim",
                      data={"csrf_token": token, "key": key_in(page, tpl.id)})
    assert done.status_code == 302 and held(tpl.id, member.id) == 1



@pytest.mark.parametrize("link_channel, recorded", [("poster_qr", "poster_qr"), ("shop_qr", "shop_qr"),
                                                    ("not-a-channel", "h5")])
def test_is_a_claim_through_a_poster_or_shop_link_counted_for_that_channel(db, shop, owner, member, phone,
                                                                          link_channel, recorded):
    tpl = template(db, owner, title="海报券")
    page = text_of(phone.get(f"/h5/{shop.slug}/coupons/?t={tpl.id}&ch={link_channel}"))
    form = re.search(rf'action="[^"]*/coupons/{tpl.id}/claim".*?</form>', page, re.DOTALL).group(0)
    channel = re.search(r'name="channel"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="channel"', form)
    posted = {"key": key_in(page, tpl.id), "channel": channel.group(1) or channel.group(2)}
    assert phone.post(f"/h5/{shop.slug}/coupons/{tpl.id}/claim", data=posted).status_code == 302
    db.session.expire_all()
    assert db.session.scalars(select(CouponCode.channel).where(CouponCode.template_id == tpl.id)).one() == recorded
