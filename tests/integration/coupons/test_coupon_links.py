"""Receipt QR claim links against PostgreSQL: one code per link whoever scans, same token per payment, expiry."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from domain.clock import now_utc
from domain.errors import Conflict, DomainError, NotFound
from models import ClaimLink, CouponCode, CouponTemplate, Merchant
from services.coupons import issue as coupon_issue, links as coupon_links, templates as coupon_templates
from tests.integration.helpers import run_concurrently


@pytest.fixture()
def shop(db, make):
    merchant = make.merchant()
    owner = make.staff(merchant, role="owner")
    template = coupon_templates.save_template(db.session, owner, None, kind="cash", title="下次立减10元", amount_off=1000,
                                              validity_mode="relative", valid_days=30)
    return dict(merchant=merchant, owner=owner, template=template)


def test_do_10_people_scanning_one_receipt_link_at_once_get_exactly_one_code(app, db, make, shop):
    token = coupon_links.create_claim_link(db.session, shop["merchant"], shop["template"].id, "pay-0001")
    people = [make.member(shop["merchant"]).id for _ in range(10)]
    db.session.commit()
    merchant_id = shop["merchant"].id

    def scan(session, index):
        return coupon_links.claim_by_link(session, session.get(Merchant, merchant_id), token, people[index]).id

    done, refused = run_concurrently(app, 10, scan)

    assert len(done) == 1 and len(refused) == 9
    assert all(e.message.startswith("该二维码已领取") for e in refused)
    db.session.expire_all()
    code = db.session.scalars(select(CouponCode)).one()
    link = db.session.scalars(select(ClaimLink)).one()
    assert code.channel == "receipt_qr" and link.coupon_code_id == code.id and link.claimed_by_id == code.member_id
    assert db.session.get(CouponTemplate, shop["template"].id).stock_issued == 1


def test_does_reprinting_a_receipt_give_the_same_token_and_one_link_row(db, shop):
    first = coupon_links.create_claim_link(db.session, shop["merchant"], shop["template"].id, "pay-0002")
    again = coupon_links.create_claim_link(db.session, shop["merchant"], shop["template"].id, "pay-0002")
    other = coupon_links.create_claim_link(db.session, shop["merchant"], shop["template"].id, "pay-0003")
    assert first == again != other and len(first) >= 40
    rows = db.session.scalars(select(ClaimLink).order_by(ClaimLink.id)).all()
    assert len(rows) == 2 and all(first not in row.token_hash for row in rows)
    assert rows[0].token_hash == coupon_links.hash_token(first)


def test_does_a_second_scan_by_the_same_member_say_already_claimed_with_when(db, make, shop):
    member = make.member(shop["merchant"])
    token = coupon_links.create_claim_link(db.session, shop["merchant"], shop["template"].id, "pay-0004")
    coupon_links.claim_by_link(db.session, shop["merchant"], token, member.id)
    with pytest.raises(Conflict, match=r"该二维码已领取（\d{4}-\d{2}-\d{2} \d{2}:\d{2}）"):
        coupon_links.claim_by_link(db.session, shop["merchant"], token, member.id)
    assert db.session.scalar(select(func.count(CouponCode.id))) == 1


def test_is_an_expired_link_refused_and_left_unclaimed(db, make, shop):
    member = make.member(shop["merchant"])
    long_ago = now_utc() - timedelta(days=31)
    token = coupon_links.create_claim_link(db.session, shop["merchant"], shop["template"].id, "pay-0005",
                                           ttl_days=30, now=long_ago)
    with pytest.raises(Conflict, match="该二维码已过期"):
        coupon_links.claim_by_link(db.session, shop["merchant"], token, member.id)
    assert coupon_links.view(db.session, shop["merchant"], token).status == "expired"


def test_does_a_refused_issue_leave_the_link_claimable(db, make, shop):
    template = coupon_templates.save_template(db.session, shop["owner"], None, kind="cash", title="限量", amount_off=500,
                                              validity_mode="relative", valid_days=7, stock_total=1)
    coupon_issue.claim(db.session, shop["merchant"], template.id, make.member(shop["merchant"]).id, channel="h5",
                       key="k1")
    token = coupon_links.create_claim_link(db.session, shop["merchant"], template.id, "pay-0006")
    db.session.commit()
    with pytest.raises(Conflict, match="券已领完"):
        coupon_links.claim_by_link(db.session, shop["merchant"], token, make.member(shop["merchant"]).id)
    db.session.rollback()
    assert coupon_links.view(db.session, shop["merchant"], token).status == "open"


def test_is_a_link_of_another_merchant_not_found(db, make, shop):
    token = coupon_links.create_claim_link(db.session, shop["merchant"], shop["template"].id, "pay-0007")
    other = make.merchant()
    with pytest.raises(NotFound):
        coupon_links.claim_by_link(db.session, other, token, make.member(other).id)
    with pytest.raises(NotFound):
        coupon_links.claim_by_link(db.session, shop["merchant"], token + "x", make.member(shop["merchant"]).id)


@pytest.mark.parametrize("payment_ref, ttl", [("", 30), ("x" * 65, 30), ("pay-1", 0), ("pay-1", 400)])
def test_are_bad_payment_refs_and_lifetimes_refused(db, shop, payment_ref, ttl):
    with pytest.raises(DomainError):
        coupon_links.create_claim_link(db.session, shop["merchant"], shop["template"].id, payment_ref, ttl_days=ttl)


def test_is_the_link_available_as_an_svg_and_png_qr_code(db, shop):
    token = coupon_links.create_claim_link(db.session, shop["merchant"], shop["template"].id, "pay-0008")
    assert coupon_links.link_url(shop["merchant"], token).endswith(f"/h5/{shop['merchant'].slug}/coupons/link/{token}")
    assert coupon_links.link_svg(shop["merchant"], token).startswith("<svg")
    assert coupon_links.link_png(shop["merchant"], token).startswith(b"\x89PNG")
