"""Every event records its channel: a top-up bought after a staff member's link is credited to that staff member; a
coupon claimed after opening a mass message's link is credited to the send; the send's and a campaign notice's links
carry their source (`src`); a `src` that is not a usable source of the merchant is ignored, never a 500."""
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from domain import roles
from domain.clock import now_utc
from domain.orders import Expected
from models import Attribution, NoticeDelivery, Order
from services.coupons import templates as coupon_templates
from services.orders import settlement
from services.outreach import run, wechat_batch
from services.recruitment import sources, tracked_links
from services.shared import host
from services.wallet import stored_value
from tests.integration.campaigns.support import tick, utc
from tests.web.helpers import fresh, text_of, wechat_member, wechat_phone
from tests.web.member_h5 import test_h5_support
from tests.web.member_h5.test_h5_send_coupon import OPENID as SEND_OPENID, coupon_send
from tests.web.member_h5.test_h5_support import sign_in

shop = test_h5_support.shop  # the fixture
started = test_h5_support.started  # the fixture
OPENID = "o-wiring-member-00000000000001"


@pytest.fixture()
def member(make, shop):
    return wechat_member(make, shop, OPENID, mobile="13700000011")


@pytest.fixture()
def phone(client, shop, member):
    return wechat_phone(client, shop, OPENID)


def attributions(db, merchant_id, event):
    db.session.expire_all()
    return db.session.scalars(select(Attribution).where(Attribution.merchant_id == merchant_id,
                                                        Attribution.event == event)).all()


def remembered(client):
    with client.session_transaction() as session:
        return session.get("recruit_source")


def form_key(html):
    return re.search(r'name="key" type="hidden" value="([^"]+)"', html).group(1)


def free_coupon(db, owner, title="到店礼"):
    template = coupon_templates.save_template(db.session, owner, None, kind="cash", title=title, amount_off=500,
                                              validity_mode="relative", valid_days=30)
    db.session.commit()
    return template


def test_is_a_top_up_after_a_staff_link_credited_to_that_staff_member(db, make, shop, member, phone, started):
    owner = make.staff(shop, role=roles.OWNER)
    guide = make.staff(shop, role=roles.GUIDE)
    source = sources.for_staff(db.session, guide, share_channel="wechat")
    stored_value.enable(db.session, owner)
    rule = stored_value.save_rule(db.session, owner, None, pay_amount=10000, bonus=1000, instalment_total=0,
                                  instalment_months=0, points=0, growth=0, coupons=[], active=True, sort=0,
                                  starts_on=None, ends_on=None)
    db.session.commit()
    assert phone.get(f"/h5/{shop.slug}/j/{source.token}").status_code == 302
    key = form_key(text_of(phone.get(f"/h5/{shop.slug}/topup")))
    assert phone.post(f"/h5/{shop.slug}/topup", data={"key": key, "rule_id": str(rule.id)}).status_code == 200
    order = fresh(db.session.scalars(select(Order).where(Order.member_id == member.id)).one())
    assert (order.source_id, order.staff_id) == (source.id, guide.id)
    settlement.record_payment(db.session, shop, order, amount=10000, currency="CNY", app_id="wx", merchant_no="",
                              channel_trade_no="T-wiring", payer=OPENID, expected=Expected(10000, "CNY", "wx", ""))
    db.session.commit()
    [credit] = attributions(db, shop.id, "topup")
    assert (credit.member_id, credit.source_id, credit.staff_id, credit.amount) == (member.id, source.id, guide.id,
                                                                                    10000)
    assert (credit.reference_kind, credit.reference_id) == ("order", order.id)


def test_is_a_claim_after_a_send_link_credited_to_the_send(db, make, client, monkeypatch):
    merchant, send, _fans, receiver = coupon_send(db, make, monkeypatch)
    owner = make.staff(merchant, role=roles.OWNER)
    template = free_coupon(db, owner)
    sign_in(client, merchant, "wechat", SEND_OPENID)
    link = wechat_batch.claim_url(db.session, merchant, send)
    db.session.commit()
    token = tracked_links.send_token(db.session, send)
    assert f"src={token}" in link and f"/sends/{send.id}/coupon" in link
    parts = urlsplit(link)
    assert client.get(f"{parts.path}?{parts.query}").status_code == 200
    assert remembered(client)["id"] == tracked_links.send_source(db.session, send).id
    wallet = text_of(client.get(f"/h5/{merchant.slug}/coupons/"))
    key = re.search(rf'action="/h5/{merchant.slug}/coupons/{template.id}/claim".*?name="key" type="hidden" '
                    r'value="([^"]+)"', wallet, re.S).group(1)
    claimed = client.post(f"/h5/{merchant.slug}/coupons/{template.id}/claim", data={"key": key, "channel": ""})
    assert claimed.status_code == 302
    send_source = tracked_links.send_source(db.session, send)
    [credit] = attributions(db, merchant.id, "coupon_claim")
    assert (credit.member_id, credit.source_id, credit.reference_kind) == (receiver.id, send_source.id, "coupon_code")
    # the message's own coupon is the send's too, once per code
    client.post(f"/h5/{merchant.slug}/sends/{send.id}/coupon")
    client.post(f"/h5/{merchant.slug}/sends/{send.id}/coupon")
    credits = attributions(db, merchant.id, "coupon_claim")
    assert len(credits) == 2 and {c.source_id for c in credits} == {send_source.id}


def test_does_a_claim_nobody_brought_record_nothing(db, make, shop, member, phone):
    template = free_coupon(db, make.staff(shop, role=roles.OWNER))
    wallet = text_of(phone.get(f"/h5/{shop.slug}/coupons/"))
    key = re.search(rf'action="/h5/{shop.slug}/coupons/{template.id}/claim".*?name="key" type="hidden" '
                    r'value="([^"]+)"', wallet, re.S).group(1)
    assert phone.post(f"/h5/{shop.slug}/coupons/{template.id}/claim", data={"key": key}).status_code == 302
    assert attributions(db, shop.id, "coupon_claim") == []


@pytest.mark.parametrize("src", ["forged-token-000000000000", "x" * 200, "%E4%B8%AD%E6%96%87", "", "../../etc"])
def test_is_an_unusable_src_ignored(db, make, shop, phone, src):
    response = phone.get(f"/h5/{shop.slug}/coupons/?src={src}")
    assert response.status_code == 200 and remembered(phone) is None


def test_are_another_merchants_and_a_switched_off_or_expired_source_ignored(db, make, shop, phone):
    other = make.merchant(slug="wiring-other")
    theirs = sources.for_share(db.session, other.id, "moments")
    off = sources.for_share(db.session, shop.id, "qq")
    off.active = False
    old = sources.for_share(db.session, shop.id, "weibo")
    sources.expire(db.session, old, now_utc() - timedelta(minutes=1))
    db.session.commit()
    for token in (theirs.token, off.token, old.token):
        assert phone.get(f"/h5/{shop.slug}/coupons/?src={token}").status_code == 200
        assert remembered(phone) is None
    ours = sources.for_share(db.session, shop.id, "moments")
    db.session.commit()
    assert phone.get(f"/h5/{shop.slug}/coupons/?src={ours.token}").status_code == 200
    assert remembered(phone)["id"] == ours.id


def test_is_a_nul_byte_in_src_refused_without_a_500(shop, phone):
    assert phone.get(f"/h5/{shop.slug}/coupons/?src=ab%00cd").status_code == 400


def test_does_an_article_link_into_the_member_pages_carry_the_send(db, make, monkeypatch):
    merchant, send, _fans, _receiver = coupon_send(db, make, monkeypatch)
    topup = host.external_url("member_h5.topup", merchant_slug=merchant.slug) + "?x=1"
    tracked = tracked_links.send_link(db.session, merchant, send, topup)
    assert tracked == f"{topup}&src={tracked_links.send_token(db.session, send)}"
    assert tracked_links.send_link(db.session, merchant, send, "https://example.com/menu") == "https://example.com/menu"
    assert tracked_links.with_source("https://a.example/p?src=old&y=2", "new") == "https://a.example/p?y=2&src=new"


def test_does_a_campaign_notice_link_carry_the_campaign(db, make, monkeypatch):
    from services.audiences import saved
    from services.audiences.filters import Filters
    from services.campaigns import setup
    from services.wechat import notices
    from tests.integration.outreach.support import shop_with_members

    monkeypatch.setattr(run, "_start_job", lambda session, send_id: None)
    merchant, owner, fans, _plain = shop_with_members(db, make, followers=2, phones_only=0)
    coupon = free_coupon(db, owner, title="双旦券")
    audience = saved.save(db.session, owner, None, name="全部", filters=Filters())
    row = setup.save(db.session, owner, None, name="双旦派券", kind="one_off", schedule={"at": "2026-12-24T10:00"},
                     audience_id=audience.id, rewards={"coupons": [{"template_id": coupon.id, "count": 1}]},
                     message={"channel": "notice"}, now=utc(2026, 12, 6))
    setup.switch_on(db.session, owner, row.id, now=utc(2026, 12, 6))
    db.session.commit()
    tick(db, utc(2026, 12, 24, 2, 1))
    token = sources.for_campaign(db.session, merchant.id, row.id, row.name).token
    deliveries = db.session.scalars(select(NoticeDelivery).where(NoticeDelivery.merchant_id == merchant.id)).all()
    assert len(deliveries) == len(fans)
    for delivery in deliveries:
        assert delivery.payload["page_values"]["src"] == token
        url = notices.member_link(merchant, delivery.payload["page"], delivery.payload["page_values"])
        assert f"src={token}" in url
