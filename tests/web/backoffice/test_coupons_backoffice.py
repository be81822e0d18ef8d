"""Back office: coupon templates, issuing to a member, and claim QR codes."""
from datetime import date

import pytest

from domain import roles
from extensions import db
from models import CouponCode, CouponTemplate
from services.coupons import issue as coupon_issue, templates as coupon_templates
from tests.web.helpers import count, fresh, text_of

BASE = {"title": "满50减10", "validity_mode": "relative", "valid_days": "30", "active": "y"}
KINDS = {
    "cash": {"amount_off": "10", "min_spend": "50"},
    "discount": {"discount": "8.5", "discount_cap": "20"},
    "gift": {"gift_item": "拿铁一杯"},
    "groupon": {"gift_item": "双人套餐"},
    "ticket": {"event_starts_at": "2030-01-01 19:30"},
}
MISSING = {"cash": "代金券须设置减免金额", "discount": "折扣券须设置 0.1 到 9.9 折",
           "gift": "兑换券和团购券须填写兑换内容", "groupon": "兑换券和团购券须填写兑换内容",
           "ticket": "门票须设置场次时间"}


def make_template(owner, **values):
    values = {"kind": "cash", "title": "十元券", "amount_off": 1000, "validity_mode": "relative", "valid_days": 30,
              **values}
    template = coupon_templates.save_template(db.session, owner, None, **values)
    db.session.commit()
    return template


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_can_an_owner_create_a_coupon_of_each_kind(as_owner, merchant, kind):
    assert as_owner.get("/backoffice/coupons/new").status_code == 200
    response = as_owner.post("/backoffice/coupons/new", data={**BASE, "kind": kind, **KINDS[kind]})
    assert response.status_code == 302, text_of(response)
    template = db.session.query(CouponTemplate).filter_by(merchant_id=merchant.id).one()
    assert template.kind == kind and template.active
    if kind == "cash":
        assert (template.amount_off, template.min_spend) == (1000, 5000)
    if kind == "discount":
        assert (template.discount_percent, template.discount_cap) == (85, 2000)
    if kind == "ticket":
        assert template.event_starts_at is not None


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_is_a_coupon_without_its_benefit_refused_with_nothing_saved(as_owner, merchant, kind):
    response = as_owner.post("/backoffice/coupons/new", data={**BASE, "kind": kind})
    assert response.status_code == 400
    assert MISSING[kind] in text_of(response)
    assert count(CouponTemplate, CouponTemplate.merchant_id == merchant.id) == 0


@pytest.mark.parametrize("field,value,message", [
    ("discount", "12", "折扣须在 0.1 到 9.9 折之间"),
    ("amount_off", "abc", None),
    ("start_time", "25:00", "时间格式应为 HH:MM"),
])
def test_are_malformed_amounts_and_hours_refused(as_owner, merchant, field, value, message):
    data = {**BASE, "kind": "cash", "amount_off": "10", field: value}
    response = as_owner.post("/backoffice/coupons/new", data=data)
    assert response.status_code == 400
    if message:
        assert message in text_of(response)
    assert count(CouponTemplate, CouponTemplate.merchant_id == merchant.id) == 0


def test_are_fixed_dates_the_wrong_way_round_refused(as_owner, merchant):
    response = as_owner.post("/backoffice/coupons/new", data={
        **BASE, "kind": "cash", "amount_off": "10", "validity_mode": "fixed",
        "valid_from": "2030-02-01", "valid_until": "2030-01-01"})
    assert response.status_code == 400
    assert "请设置正确的有效期起止日期" in text_of(response)
    assert count(CouponTemplate, CouponTemplate.merchant_id == merchant.id) == 0


def test_can_an_owner_edit_a_template_with_stores_weekdays_hours_and_stock(as_owner, owner, store):
    template = make_template(owner)
    page = text_of(as_owner.get(f"/backoffice/coupons/{template.id}/edit"))
    assert "十元券" in page and 'value="10.00"' in page
    response = as_owner.post(f"/backoffice/coupons/{template.id}/edit", data={
        "kind": "discount", "title": "周末九折", "discount": "9", "validity_mode": "fixed",
        "valid_from": "2030-01-01", "valid_until": "2030-01-31", "store_ids": [str(store.id)],
        "weekdays": ["5", "6"], "start_time": "10:00", "end_time": "22:00", "stock_total": "100",
        "per_member_limit": "2", "notes": "不与其他优惠同享", "shareable": "y"})
    assert response.status_code == 302, text_of(response)
    template = fresh(template)
    assert (template.kind, template.discount_percent, template.validity_mode) == ("discount", 90, "fixed")
    assert (template.valid_from, template.valid_until) == (date(2030, 1, 1), date(2030, 1, 31))
    assert [s.id for s in template.stores] == [store.id] and not template.all_stores
    assert (template.weekdays, template.start_minute, template.end_minute) == ([5, 6], 600, 1320)
    assert (template.stock_total, template.per_member_limit, template.shareable, template.active) == (100, 2, True, False)


def test_is_an_invalid_edit_refused_and_the_template_left_as_it_was(as_owner, owner):
    template = make_template(owner)
    response = as_owner.post(f"/backoffice/coupons/{template.id}/edit", data={
        **BASE, "kind": "cash", "amount_off": "10", "per_member_limit": "5000"})
    assert response.status_code == 400
    assert "每人限领须在 1 到 1000 之间" in text_of(response)
    assert fresh(template).per_member_limit is None and fresh(template).title == "十元券"


def test_is_a_cashier_refused_the_coupon_pages(sign_in_as, client, merchant):
    sign_in_as(roles.CASHIER)
    assert client.get("/backoffice/coupons").status_code == 403
    response = client.post("/backoffice/coupons/new", data={**BASE, "kind": "cash", "amount_off": "10"})
    assert response.status_code == 403
    assert count(CouponTemplate, CouponTemplate.merchant_id == merchant.id) == 0


def test_may_an_admin_create_a_coupon(sign_in_as, client, merchant):
    sign_in_as(roles.ADMIN)
    response = client.post("/backoffice/coupons/new", data={**BASE, "kind": "cash", "amount_off": "10"})
    assert response.status_code == 302


def test_is_another_merchants_template_not_found(as_owner, make):
    other = make.merchant(name="别家")
    boss = make.staff(other, role=roles.OWNER)
    db.session.commit()
    template = make_template(boss)
    assert as_owner.get(f"/backoffice/coupons/{template.id}/edit").status_code == 404
    assert as_owner.post(f"/backoffice/coupons/{template.id}/edit", data={**BASE, "kind": "cash",
                                                                          "amount_off": "1"}).status_code == 404
    assert as_owner.get(f"/backoffice/coupons/{template.id}/qr.png").status_code == 404
    assert as_owner.get(f"/backoffice/coupons/{template.id}/issue").status_code == 404
    assert fresh(template).title == "十元券"


def test_does_the_list_show_stock_and_claim_counts_per_channel(as_owner, owner, merchant, make):
    limited = make_template(owner, title="限量券", stock_total=10)
    make_template(owner, title="不限量券")
    for channel in ("poster_qr", "poster_qr", "shop_qr"):
        member = make.member(merchant)
        db.session.flush()
        coupon_issue.claim(db.session, merchant, limited.id, member.id, channel=channel,
                           key=f"test:{channel}:{member.id}")
    db.session.commit()
    page = text_of(as_owner.get("/backoffice/coupons"))
    assert "限量券" in page and "3 / 10" in page and "不限" in page and "代金券" in page
    assert "海报二维码 2" in page and "店内二维码 1" in page


def test_can_staff_issue_a_coupon_to_a_member_by_mobile_once_per_form(as_owner, owner, merchant, make):
    template = make_template(owner)
    member = make.member(merchant, mobile="13800138000")
    db.session.commit()
    page = text_of(as_owner.get(f"/backoffice/coupons/{template.id}/issue"))
    key = page.split('name="key"')[1].split('value="')[1].split('"')[0]
    for _ in range(2):
        response = as_owner.post(f"/backoffice/coupons/{template.id}/issue", data={"mobile": "138 0013 8000",
                                                                                   "key": key})
        assert response.status_code == 302
    code = db.session.query(CouponCode).filter_by(member_id=member.id).one()
    assert (code.channel, code.issued_by_id) == ("staff", owner.id)


def test_is_issuing_to_an_unknown_mobile_refused(as_owner, owner):
    template = make_template(owner)
    response = as_owner.post(f"/backoffice/coupons/{template.id}/issue", data={"mobile": "13900000000",
                                                                               "key": "coupon-staff:abcdefgh12345678"})
    assert response.status_code == 400 and "没有这个手机号的会员" in text_of(response)
    assert count(CouponCode, CouponCode.template_id == template.id) == 0


@pytest.mark.parametrize("channel", ["poster_qr", "shop_qr"])
def test_are_claim_qr_codes_served_as_png_and_svg(as_owner, owner, channel):
    template = make_template(owner)
    png = as_owner.get(f"/backoffice/coupons/{template.id}/qr.png?channel={channel}")
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert png.data.startswith(b"\x89PNG\r\n\x1a\n") and len(png.data) > 100
    svg = as_owner.get(f"/backoffice/coupons/{template.id}/qr.svg?channel={channel}")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert "<svg" in svg.get_data(as_text=True)
    assert "attachment" in svg.headers["Content-Disposition"]


def test_is_an_unknown_qr_channel_refused(as_owner, owner):
    template = make_template(owner)
    assert as_owner.get(f"/backoffice/coupons/{template.id}/qr.png?channel=staff").status_code == 404


def test_can_a_coupon_be_put_on_sale_for_money_and_edited_back_to_free(as_owner, merchant, owner):
    response = as_owner.post("/backoffice/coupons/new", data={**BASE, "kind": "cash", **KINDS["cash"],
                                                               "obtain": "money", "price": "9.90"})
    assert response.status_code == 302, text_of(response)
    template = db.session.query(CouponTemplate).filter_by(merchant_id=merchant.id).one()
    assert (template.price, template.free_claim) == (990, False)
    page = text_of(as_owner.get(f"/backoffice/coupons/{template.id}/edit"))
    assert 'value="9.90"' in page
    as_owner.post(f"/backoffice/coupons/{template.id}/edit", data={**BASE, "kind": "cash", **KINDS["cash"],
                                                                    "obtain": "free"})
    assert (fresh(template).price, fresh(template).free_claim) == (None, True)


@pytest.mark.parametrize("price, message", [("", "付费购买的券须设置售价"), ("abc", "金额"), ("0", "付费购买的券须设置售价")])
def test_is_a_coupon_for_sale_without_a_valid_price_refused(as_owner, merchant, price, message):
    response = as_owner.post("/backoffice/coupons/new", data={**BASE, "kind": "cash", **KINDS["cash"],
                                                               "obtain": "money", "price": price})
    assert response.status_code == 400 and message in text_of(response)
    assert count(CouponTemplate) == 0
