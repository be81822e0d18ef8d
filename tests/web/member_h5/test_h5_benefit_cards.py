"""Member H5 benefit cards: the offers, a free card claimed by link or QR, paid cards not faked, 我的权益卡."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from domain import roles
from domain.clock import now_utc
from models import Card, CouponCode
from services.cards import benefit_issue, benefit_refunds, benefit_templates
from services.coupons import templates as coupon_templates
from tests.web.member_h5 import test_h5_support
from tests.web.helpers import text_of, wechat_member, wechat_phone

shop = test_h5_support.shop  # the fixture
OPENID = "o-benefit-member-00000000000001"


@pytest.fixture()
def owner(make, shop):
    return make.staff(shop, role=roles.OWNER)


@pytest.fixture()
def member(make, db, shop):
    return wechat_member(make, shop, OPENID, mobile="13600000002", name="李雷")


@pytest.fixture()
def phone(client, shop, member):
    return wechat_phone(client, shop, OPENID)


@pytest.fixture()
def coffee(db, owner):
    template = coupon_templates.save_template(db.session, owner, None, kind="gift", title="咖啡兑换券", gift_item="拿铁",
                                              validity_mode="relative", valid_days=30)
    db.session.commit()
    return template


def card_template(db, owner, **values):
    values = {"title": "洗车权益卡", "price": None, "valid_days": 30, "discount_percent": 90,
              "free_items": ["每月免费洗车 1 次"], **values}
    template = benefit_templates.save_template(db.session, owner, None, **values)
    db.session.commit()
    return template


def claim_form(html, template_id):
    form = re.search(rf'action="[^"]*/benefit-cards/{template_id}/claim".*?</form>', html, re.DOTALL).group(0)
    values = dict(re.findall(r'name="(key|channel)"[^>]*value="([^"]*)"', form))
    return values


def my_cards(db, member_id):
    db.session.expire_all()
    return db.session.scalars(select(Card).where(Card.member_id == member_id)).all()


def test_does_the_list_offer_free_claims_paid_purchases_and_sold_out_cards(db, shop, owner, phone):
    free = card_template(db, owner, title="免费卡")
    paid = card_template(db, owner, title="付费卡", price=19900)
    delisted = card_template(db, owner, title="下架卡")
    benefit_templates.delist_template(db.session, owner, delisted.id)
    hidden = card_template(db, owner, title="停用卡")
    benefit_templates.disable(db.session, owner, hidden.id)
    db.session.commit()
    page = text_of(phone.get(f"/h5/{shop.slug}/benefit-cards/"))
    assert f'data-template-id="{free.id}" data-offer="claim"' in page and "免费领取" in page
    assert f'data-template-id="{paid.id}" data-offer="buy"' in page and "¥199.00" in page and "购买" in page
    assert f'data-template-id="{delisted.id}" data-offer="sold_out"' in page and "已售罄" in page
    assert "停用卡" not in page
    assert "9折" in page and "每月免费洗车 1 次" in page


def test_can_a_member_claim_a_free_card_from_its_qr_link_with_the_channel_kept(db, shop, owner, coffee, member, phone):
    template = card_template(db, owner, gift_pack=[{"template_id": coffee.id, "count": 2}])
    page = text_of(phone.get(f"/h5/{shop.slug}/benefit-cards/{template.id}?ch=poster_qr"))
    assert "洗车权益卡" in page and "免费领取" in page
    form = claim_form(page, template.id)
    assert form["channel"] == "poster_qr"
    for _ in range(2):  # a double tap claims once
        response = phone.post(f"/h5/{shop.slug}/benefit-cards/{template.id}/claim", data=form)
        assert response.status_code == 302
    [card] = my_cards(db, member.id)
    assert (card.channel, card.state, card.price_paid) == ("poster_qr", "active", None)
    assert len(db.session.scalars(select(CouponCode).where(CouponCode.source_card_id == card.id)).all()) == 2
    mine = text_of(phone.get(f"/h5/{shop.slug}/benefit-cards/mine"))
    assert "洗车权益卡" in mine and "生效中" in mine and "咖啡兑换券" in mine and "可使用" in mine
    assert "有效期至" in mine and (now_utc() + timedelta(days=30)).strftime("%Y-") in mine


def test_is_a_second_claim_of_the_same_free_card_refused_with_the_reason(db, shop, owner, member, phone):
    template = card_template(db, owner)
    for n in range(2):
        page = text_of(phone.get(f"/h5/{shop.slug}/benefit-cards/{template.id}"))
        response = phone.post(f"/h5/{shop.slug}/benefit-cards/{template.id}/claim",
                              data=claim_form(page, template.id), follow_redirects=True)
    assert "您已领取该权益卡" in text_of(response)
    assert response.request.path == f"/h5/{shop.slug}/benefit-cards/{template.id}", "back on the card's page"
    assert len(my_cards(db, member.id)) == 1


def test_is_a_paid_card_shown_with_its_price_but_never_issued_without_payment(db, shop, owner, member, phone):
    template = card_template(db, owner, price=9900)
    page = text_of(phone.get(f"/h5/{shop.slug}/benefit-cards/{template.id}"))
    assert "¥99.00" in page and 'id="buy-benefit-card"' in page and f"/shop/card/{template.id}" in page
    assert f"/benefit-cards/{template.id}/claim" not in page
    response = phone.post(f"/h5/{shop.slug}/benefit-cards/{template.id}/claim",
                          data={"key": "h5-bc:forged:1", "channel": "h5"}, follow_redirects=True)
    assert "该卡需付费购买" in text_of(response)
    assert my_cards(db, member.id) == []


def test_does_a_delisted_card_show_sold_out_and_refuse_a_claim(db, shop, owner, member, phone):
    template = card_template(db, owner)
    page = text_of(phone.get(f"/h5/{shop.slug}/benefit-cards/{template.id}"))
    benefit_templates.delist_template(db.session, owner, template.id)
    db.session.commit()
    assert "已售罄" in text_of(phone.get(f"/h5/{shop.slug}/benefit-cards/{template.id}"))
    response = phone.post(f"/h5/{shop.slug}/benefit-cards/{template.id}/claim",
                          data=claim_form(page, template.id), follow_redirects=True)
    assert "该权益卡已售罄" in text_of(response)
    assert my_cards(db, member.id) == []


def test_does_my_benefit_cards_show_refunded_and_expired_cards_as_such(db, shop, owner, member, phone):
    template = card_template(db, owner)
    other = card_template(db, owner, title="过期卡", valid_days=1)
    card = benefit_issue.issue(db.session, shop, template.id, member.id, channel="staff", key="m:1")
    benefit_issue.issue(db.session, shop, other.id, member.id, channel="staff", key="m:2",
                        now=now_utc() - timedelta(days=3))
    benefit_refunds.refund(db.session, owner, card.id, with_money=False, amount=0, take_back_coupons=False, reason="",
                           key="m:r")
    db.session.commit()
    page = text_of(phone.get(f"/h5/{shop.slug}/benefit-cards/mine"))
    assert "已退卡" in page and "已过期" in page and "生效中" not in page


def test_does_the_member_centre_link_to_my_benefit_cards(shop, phone):
    page = text_of(phone.get(f"/h5/{shop.slug}/member"))
    assert f'href="/h5/{shop.slug}/benefit-cards/mine"' in page and "权益卡" in page  # a tile of the icon grid


def test_is_another_merchants_card_not_found_here(db, make, shop, phone):
    other = make.merchant(name="别家")
    boss = make.staff(other, role=roles.OWNER)
    db.session.commit()
    theirs = card_template(db, boss)
    assert phone.get(f"/h5/{shop.slug}/benefit-cards/{theirs.id}").status_code == 404
    response = phone.post(f"/h5/{shop.slug}/benefit-cards/{theirs.id}/claim",
                          data={"key": "h5-bc:x:1", "channel": "h5"})
    assert response.status_code == 404
    assert db.session.scalars(select(Card)).all() == []


def test_does_a_signed_out_visitor_get_sent_to_login(client, shop):
    response = client.get(f"/h5/{shop.slug}/benefit-cards/mine")
    assert response.status_code == 302 and f"/h5/{shop.slug}/" in response.headers["Location"]
