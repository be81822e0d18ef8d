"""Back office: benefit-card templates, list/delist and disable/enable, claim QR, issuing, holders and refunds."""
import pytest

from domain import roles
from domain.orders import Expected
from extensions import db
from models import AuditLog, Card, CardRefund, CardTemplate, CouponCode
from services.cards import benefit_issue, benefit_templates
from services.coupons import templates as coupon_templates
from services.orders import card_sales, settlement
from tests.web.helpers import count, fresh, text_of

FORM = {"title": "黄金权益卡", "price": "99", "stock_total": "50", "valid_days": "30", "discount": "9",
        "multiplier": "2", "free_items": "每月免费洗车 1 次\n生日蛋糕", "cover_color": "#C0392B", "notes": ""}


def coffee(owner):
    template = coupon_templates.save_template(db.session, owner, None, kind="gift", title="咖啡兑换券", gift_item="拿铁",
                                              validity_mode="relative", valid_days=30)
    db.session.commit()
    return template


def card_template(owner, **values):
    values = {"title": "白银权益卡", "price": 9900, "valid_days": 30, "discount_percent": 95, **values}
    template = benefit_templates.save_template(db.session, owner, None, **values)
    db.session.commit()
    return template


def key_of(page):
    return page.split('name="key"')[1].split('value="')[1].split('"')[0]


def test_can_an_owner_create_a_paid_card_with_a_gift_pack(as_owner, owner, merchant, store):
    pack = coffee(owner)
    page = text_of(as_owner.get("/backoffice/benefit-cards/new"))
    assert "咖啡兑换券" in page and f'name="pack_{pack.id}"' in page
    response = as_owner.post("/backoffice/benefit-cards/new", data={**FORM, f"pack_{pack.id}": "2",
                                                                    "store_ids": [str(store.id)]})
    assert response.status_code == 302, text_of(response)
    template = db.session.query(CardTemplate).filter_by(merchant_id=merchant.id).one()
    assert (template.kind, template.price, template.stock_total, template.valid_days) == ("benefit", 9900, 50, 30)
    assert (template.discount_percent, template.points_multiplier) == (90, 200)
    assert template.free_items == ["每月免费洗车 1 次", "生日蛋糕"]
    assert template.gift_pack == [{"template_id": pack.id, "count": 2}]
    assert [s.id for s in template.stores] == [store.id]
    assert count(AuditLog, AuditLog.action == "benefit_card.save") == 1
    listing = text_of(as_owner.get("/backoffice/benefit-cards"))
    assert "黄金权益卡" in listing and "¥99.00" in listing and "9折" in listing and "咖啡兑换券 ×2" in listing
    assert "0 / 50" in listing and "已上架" in listing


def test_does_the_edit_form_show_the_saved_values_and_save_changes(as_owner, owner):
    template = card_template(owner, points_multiplier=150, free_items=["洗车"])
    page = text_of(as_owner.get(f"/backoffice/benefit-cards/{template.id}/edit"))
    assert 'value="99.00"' in page and 'value="9.5"' in page and 'value="1.5"' in page and "洗车" in page
    response = as_owner.post(f"/backoffice/benefit-cards/{template.id}/edit", data={**FORM, "price": ""})
    assert response.status_code == 302, text_of(response)
    template = fresh(template)
    assert (template.title, template.price, template.discount_percent) == ("黄金权益卡", None, 90)


@pytest.mark.parametrize("field,value,message", [
    ("discount", "10", "折扣须在 0.1 到 9.9 折之间"),
    ("multiplier", "11", "积分倍数须在 1 到 10 倍之间"),
    ("valid_days", "4000", "有效天数须在 1 到 3650 之间"),
    ("price", "-5", "金额须为不超过两位小数的非负数"),
    ("free_items", "\n".join(f"项目{i}" for i in range(11)), "免费项目最多 10 项"),
    ("free_items", "长" * 41, "每个免费项目不能超过 40 个字"),
    ("title", "卡" * 41, "卡名称不能超过 40 个字"),
    ("stock_total", "0", "库存须为正数"),
])
def test_is_bad_input_refused_with_a_clear_message_and_nothing_saved(as_owner, merchant, field, value, message):
    response = as_owner.post("/backoffice/benefit-cards/new", data={**FORM, field: value})
    assert response.status_code == 400
    assert message in text_of(response)
    assert count(CardTemplate, CardTemplate.merchant_id == merchant.id) == 0


def test_is_a_card_without_any_benefit_refused(as_owner, merchant):
    response = as_owner.post("/backoffice/benefit-cards/new", data={**FORM, "discount": "", "multiplier": "",
                                                                    "free_items": ""})
    assert response.status_code == 400 and "请至少设置一项权益" in text_of(response)
    assert count(CardTemplate, CardTemplate.merchant_id == merchant.id) == 0


def test_is_a_gift_pack_count_above_ten_refused(as_owner, owner, merchant):
    pack = coffee(owner)
    response = as_owner.post("/backoffice/benefit-cards/new", data={**FORM, f"pack_{pack.id}": "11"})
    assert response.status_code == 400 and "礼包中每种券须为 0 到 10 张" in text_of(response)
    assert count(CardTemplate, CardTemplate.merchant_id == merchant.id) == 0


@pytest.mark.parametrize("action,field,value", [
    ("delist", "listed", False), ("disable", "disabled", True),
])
def test_do_the_list_buttons_change_the_template_and_leave_an_audit_entry(as_owner, owner, action, field, value):
    template = card_template(owner)
    response = as_owner.post(f"/backoffice/benefit-cards/{template.id}/{action}")
    assert response.status_code == 302
    assert getattr(fresh(template), field) is value
    assert count(AuditLog, AuditLog.action == f"benefit_card.{field}") == 1
    undo = {"delist": "list", "disable": "enable"}[action]
    assert as_owner.post(f"/backoffice/benefit-cards/{template.id}/{undo}").status_code == 302
    assert getattr(fresh(template), field) is (not value)


def test_are_the_list_buttons_posts_only(as_owner, owner):
    template = card_template(owner)
    assert as_owner.get(f"/backoffice/benefit-cards/{template.id}/disable").status_code == 405
    assert fresh(template).disabled is False


def test_can_staff_issue_a_card_by_mobile_once_per_form(as_owner, owner, merchant, make):
    pack = coffee(owner)
    template = card_template(owner, gift_pack=[{"template_id": pack.id, "count": 1}])
    member = make.member(merchant, mobile="13800138000")
    db.session.commit()
    key = key_of(text_of(as_owner.get(f"/backoffice/benefit-cards/{template.id}/issue")))
    for _ in range(2):
        response = as_owner.post(f"/backoffice/benefit-cards/{template.id}/issue",
                                 data={"mobile": "138 0013 8000", "price_paid": "99", "key": key})
        assert response.status_code == 302, text_of(response)
    card = db.session.query(Card).filter_by(member_id=member.id).one()
    assert (card.channel, card.issued_by_id, card.price_paid) == ("staff", owner.id, 9900)
    assert count(CouponCode, CouponCode.source_card_id == card.id) == 1
    holders = text_of(as_owner.get(f"/backoffice/benefit-cards/{template.id}/holders"))
    assert "138****8000" in holders and "生效中" in holders and "¥99.00" in holders


def test_is_issuing_to_an_unknown_mobile_refused(as_owner, owner):
    template = card_template(owner)
    response = as_owner.post(f"/backoffice/benefit-cards/{template.id}/issue",
                             data={"mobile": "13900000000", "key": "benefit-staff:abcdefgh12345678"})
    assert response.status_code == 400 and "没有这个手机号的会员" in text_of(response)
    assert count(Card) == 0


def test_is_issuing_a_disabled_card_refused_with_the_reason(as_owner, owner, merchant, make):
    template = card_template(owner)
    make.member(merchant, mobile="13800138000")
    benefit_templates.disable(db.session, owner, template.id)
    db.session.commit()
    response = as_owner.post(f"/backoffice/benefit-cards/{template.id}/issue",
                             data={"mobile": "13800138000", "key": "benefit-staff:abcdefgh12345678"})
    assert response.status_code == 400 and "该权益卡已停用" in text_of(response)
    assert count(Card) == 0


def test_can_a_cashier_issue_but_not_manage_or_refund(sign_in_as, client, owner, merchant, make):
    template = card_template(owner)
    member = make.member(merchant, mobile="13800138000")
    card = benefit_issue.issue(db.session, merchant, template.id, member.id, channel="staff", key="pre:1")
    db.session.commit()
    sign_in_as(roles.CASHIER)
    assert client.get(f"/backoffice/benefit-cards/{template.id}/issue").status_code == 200
    assert client.get("/backoffice/benefit-cards").status_code == 403
    assert client.post("/backoffice/benefit-cards/new", data=FORM).status_code == 403
    assert client.post(f"/backoffice/benefit-cards/{template.id}/disable").status_code == 403
    assert client.post(f"/backoffice/benefit-cards/cards/{card.id}/refund",
                       data={"mode": "no_money", "key": "r:x"}).status_code == 403
    assert fresh(card).state == "active" and fresh(template).disabled is False


def test_can_an_owner_refund_with_a_custom_amount_and_take_back_unused_coupons(as_owner, owner, merchant, make):
    pack = coffee(owner)
    template = card_template(owner, gift_pack=[{"template_id": pack.id, "count": 2}])
    member = make.member(merchant, mobile="13800138000")
    card = benefit_issue.issue(db.session, merchant, template.id, member.id, channel="staff", key="pre:2",
                               price_paid=9900)
    db.session.commit()
    page = text_of(as_owner.get(f"/backoffice/benefit-cards/cards/{card.id}/refund"))
    assert "¥99.00" in page and "线下退还" in page and "在订单中退款" not in page  # given by staff: no order
    response = as_owner.post(f"/backoffice/benefit-cards/cards/{card.id}/refund", data={
        "mode": "money", "amount": "50.5", "take_back": "y", "reason": "顾客不满意", "key": key_of(page)})
    assert response.status_code == 302, text_of(response)
    refund = db.session.query(CardRefund).one()
    assert (refund.with_money, refund.amount, refund.coupons_taken_back, refund.staff_id) == (True, 5050, 2, owner.id)
    assert fresh(card).state == "refunded"
    records = text_of(as_owner.get("/backoffice/benefit-cards/refunds"))
    assert "白银权益卡" in records and "138****8000" in records and "退卡并退款" in records
    assert "¥50.50" in records and "2 张" in records and "顾客不满意" in records and "线下退还" in records


def test_does_a_card_bought_online_point_to_its_order_for_a_refund_the_way_it_was_paid(as_owner, owner, merchant,
                                                                                     make):
    template = card_template(owner)
    member = make.member(merchant)
    db.session.commit()
    order = card_sales.create_order(db.session, merchant, member.id, template_id=template.id, channel="wechat",
                                    key="bo:online")
    settlement.record_payment(db.session, merchant, order, amount=order.amount, currency="CNY", app_id="wx",
                              merchant_no="", channel_trade_no=f"T{order.id}", payer="p",
                              expected=Expected(order.amount, "CNY", "wx", ""))
    db.session.commit()
    card_id = fresh(order).fulfilment["card_id"]
    page = as_owner.get(f"/backoffice/benefit-cards/cards/{card_id}/refund").get_data(as_text=True)
    assert "在订单中退款" in page and f"/backoffice/orders/{order.id}" in page


def test_is_a_refund_above_the_price_or_of_a_refunded_card_refused(as_owner, owner, merchant, make):
    template = card_template(owner)
    member = make.member(merchant)
    card = benefit_issue.issue(db.session, merchant, template.id, member.id, channel="staff", key="pre:3",
                               price_paid=9900)
    db.session.commit()
    too_much = as_owner.post(f"/backoffice/benefit-cards/cards/{card.id}/refund",
                             data={"mode": "money", "amount": "100", "key": "r:1"})
    assert too_much.status_code == 400 and "退款金额须在 0 到实付金额之间" in text_of(too_much)
    assert fresh(card).state == "active"
    missing = as_owner.post(f"/backoffice/benefit-cards/cards/{card.id}/refund", data={"mode": "money", "key": "r:2"})
    assert missing.status_code == 400 and "请填写退款金额" in text_of(missing)
    assert as_owner.post(f"/backoffice/benefit-cards/cards/{card.id}/refund",
                         data={"mode": "no_money", "key": "r:3"}).status_code == 302
    again = as_owner.post(f"/backoffice/benefit-cards/cards/{card.id}/refund", data={"mode": "no_money", "key": "r:4"})
    assert again.status_code == 400 and "已退卡" in text_of(again)
    assert count(CardRefund) == 1


@pytest.mark.parametrize("channel", ["poster_qr", "shop_qr"])
def test_are_claim_qr_codes_of_a_free_card_served_as_png_and_svg(app, as_owner, owner, merchant, channel):
    template = card_template(owner, price=None)
    png = as_owner.get(f"/backoffice/benefit-cards/{template.id}/qr.png?channel={channel}")
    assert png.status_code == 200 and png.mimetype == "image/png" and png.data.startswith(b"\x89PNG")
    svg = as_owner.get(f"/backoffice/benefit-cards/{template.id}/qr.svg?channel={channel}")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and "<svg" in text_of(svg)
    assert "attachment" in svg.headers["Content-Disposition"]
    from backoffice.views_benefit_cards import claim_url
    from flask_login import login_user

    with app.test_request_context():
        login_user(owner)
        assert claim_url(template, channel).endswith(f"/h5/{merchant.slug}/benefit-cards/{template.id}?ch={channel}")


def test_has_a_paid_card_no_claim_qr(as_owner, owner):
    template = card_template(owner)
    assert as_owner.get(f"/backoffice/benefit-cards/{template.id}/qr.png").status_code == 404


def test_is_another_merchants_card_not_found(as_owner, make):
    other = make.merchant(name="别家")
    boss = make.staff(other, role=roles.OWNER)
    member = make.member(other)
    db.session.commit()
    template = card_template(boss)
    card = benefit_issue.issue(db.session, other, template.id, member.id, channel="staff", key="o:1")
    db.session.commit()
    for url in (f"/backoffice/benefit-cards/{template.id}/edit", f"/backoffice/benefit-cards/{template.id}/holders",
                f"/backoffice/benefit-cards/{template.id}/issue", f"/backoffice/benefit-cards/{template.id}/qr.svg",
                f"/backoffice/benefit-cards/cards/{card.id}/refund"):
        assert as_owner.get(url).status_code == 404, url
    assert as_owner.post(f"/backoffice/benefit-cards/{template.id}/disable").status_code == 404
    assert as_owner.post(f"/backoffice/benefit-cards/cards/{card.id}/refund",
                         data={"mode": "no_money", "key": "r:o"}).status_code == 404
    assert fresh(template).disabled is False and fresh(card).state == "active"
    assert "白银权益卡" not in text_of(as_owner.get("/backoffice/benefit-cards"))


def test_is_a_coupon_of_another_merchant_refused_in_the_gift_pack(as_owner, make, merchant):
    other = make.merchant(name="别家")
    boss = make.staff(other, role=roles.OWNER)
    db.session.commit()
    theirs = coffee(boss)
    response = as_owner.post("/backoffice/benefit-cards/new", data={**FORM, f"pack_{theirs.id}": "1"})
    assert response.status_code == 302  # an input for a coupon that is not listed is ignored
    assert db.session.query(CardTemplate).filter_by(merchant_id=merchant.id).one().gift_pack == []


def test_does_the_menu_link_to_benefit_cards(as_owner):
    assert 'href="/backoffice/benefit-cards"' in text_of(as_owner.get("/backoffice/benefit-cards"))
