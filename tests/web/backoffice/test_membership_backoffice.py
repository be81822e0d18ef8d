"""Back office 付费会员: plans made with the benefit card form plus the two levels, kept apart from benefit cards,
listed and stopped; the holders and until when; taking a membership back (owner/admin) gives the level back; who
may do what; another merchant's ids; bad input."""
import re
from datetime import timedelta

import pytest

from channels import payment_channels
from domain import roles
from domain.clock import now_utc
from domain.orders import Expected
from extensions import db
from models import AuditLog, Card, CardRefund, CardTemplate, LevelChange, Member, Order
from services.cards import benefit_issue, benefit_templates, membership_plans
from services.members import levels as level_service
from services.orders import card_sales, settlement
from tests.web.helpers import count, fresh, text_of

FORM = {"title": "年度会员", "price": "99", "stock_total": "", "valid_days": "365", "discount": "9",
        "multiplier": "2", "free_items": "生日赠饮", "cover_color": "#B8860B", "notes": "全国门店通用"}


def ladder(merchant):
    return {level.name: level for level in level_service.list_levels(db.session, merchant.id)}


def make_plan(owner, merchant, **overrides):
    levels = ladder(merchant)
    values = dict(title="年度会员", price=9900, valid_days=365, discount_percent=90,
                  membership_level_id=levels["金卡"].id, after_expiry_level_id=levels["普通"].id)
    values.update(overrides)
    plan = membership_plans.save_plan(db.session, owner, None, **values)
    db.session.commit()
    return plan


def bought(make, merchant, plan, mobile="13800000031"):
    member = make.member(merchant, mobile=mobile, name="付费甲")
    db.session.commit()
    order = card_sales.create_order(db.session, merchant, member.id, template_id=plan.id, channel="wechat",
                                    key=f"bo:{mobile}")
    settlement.record_payment(db.session, merchant, order, amount=order.amount, currency="CNY", app_id="wx",
                              merchant_no="", channel_trade_no=f"T{order.id}", payer="p",
                              expected=Expected(order.amount, "CNY", "wx", ""))
    db.session.commit()
    db.session.expire_all()
    return db.session.get(Member, member.id), db.session.get(Card, fresh(order).fulfilment["card_id"])


def key_of(page):
    return page.split('name="key"')[1].split('value="')[1].split('"')[0]


def test_can_an_owner_create_a_plan_with_its_levels(as_owner, owner, merchant):
    levels = ladder(merchant)
    page = text_of(as_owner.get("/backoffice/membership/new"))
    assert "新建付费会员方案" in page and "开通后等级" in page and "过期后身份" in page and 'value="365"' in page
    answer = as_owner.post("/backoffice/membership/new", data={
        **FORM, "membership_level_id": str(levels["金卡"].id), "after_expiry_level_id": str(levels["银卡"].id)})
    assert answer.status_code == 302, text_of(answer)
    plan = db.session.query(CardTemplate).filter_by(merchant_id=merchant.id).one()
    assert (plan.kind, plan.membership, plan.price, plan.valid_days) == ("benefit", True, 9900, 365)
    assert (plan.membership_level_id, plan.after_expiry_level_id) == (levels["金卡"].id, levels["银卡"].id)
    assert count(AuditLog, AuditLog.action == "membership.save") == 1
    listing = text_of(as_owner.get("/backoffice/membership"))
    assert "年度会员" in listing and "¥99.00" in listing and "365 天" in listing and "金卡" in listing
    assert "银卡" in listing and "开通中" in listing and f"/h5/{merchant.slug}/membership/{plan.id}" in listing
    assert f"/backoffice/recruitment?target=paid:{plan.id}" in listing  # its join codes and share links
    assert "年度会员" in text_of(as_owner.get(f"/backoffice/recruitment?target=paid:{plan.id}"))
    assert "年度会员" not in text_of(as_owner.get("/backoffice/benefit-cards"))
    audit = text_of(as_owner.get("/backoffice/audit"))
    assert "保存付费会员方案" in audit and "开通后等级" in audit


def test_does_the_edit_form_show_the_saved_plan_and_save_changes(as_owner, owner, merchant):
    plan = make_plan(owner, merchant)
    levels = ladder(merchant)
    page = text_of(as_owner.get(f"/backoffice/membership/{plan.id}/edit"))
    assert 'value="99.00"' in page and 'value="365"' in page
    assert f'<option selected value="{levels["金卡"].id}">' in page or f'value="{levels["金卡"].id}" selected' in page
    answer = as_owner.post(f"/backoffice/membership/{plan.id}/edit", data={
        **FORM, "price": "199", "membership_level_id": str(levels["银卡"].id), "after_expiry_level_id": ""})
    assert answer.status_code == 302, text_of(answer)
    plan = fresh(plan)
    assert (plan.price, plan.membership_level_id, plan.after_expiry_level_id) == (19900, levels["银卡"].id, None)


@pytest.mark.parametrize("field,value,message", [
    ("price", "", "付费会员须设置价格"),
    ("valid_days", "", "付费会员须设置有效天数"),
    ("membership_level_id", "abc", "请选择列表中的等级"),
    ("after_expiry_level_id", "99999", "请选择列表中的等级"),
    ("title", "会" * 41, "方案名称不能超过 40 个字"),
    ("discount", "", "请至少设置一项权益"),
])
def test_is_a_bad_plan_refused_with_the_reason_and_nothing_saved(as_owner, owner, merchant, field, value, message):
    data = {**FORM, field: value}
    if field == "discount":
        data.update(multiplier="", free_items="")
    answer = as_owner.post("/backoffice/membership/new", data=data)
    assert answer.status_code == 400 and message in text_of(answer)
    assert count(CardTemplate) == 0


def test_is_an_identity_after_expiry_without_a_level_refused(as_owner, merchant):
    answer = as_owner.post("/backoffice/membership/new", data={
        **FORM, "membership_level_id": "", "after_expiry_level_id": str(ladder(merchant)["普通"].id)})
    assert answer.status_code == 400 and "请先选择开通后的会员等级" in text_of(answer)
    assert count(CardTemplate) == 0


def test_are_the_holders_paged_fifty_at_a_time_with_their_count(as_owner, owner, make, merchant):
    plan = make_plan(owner, merchant)
    for n in range(51):
        member = make.member(merchant, mobile=f"1390000{n:04d}", name=f"持有人{n:02d}")
        benefit_issue.issue(db.session, merchant, plan.id, member.id, channel="staff", key=f"holder:{n}")
    db.session.commit()
    first = as_owner.get("/backoffice/membership/holders").get_data(as_text=True)
    assert "共 51 位" in first and "持有人50" in first and "持有人00" not in first
    assert "第 1 / 2 页" in first and "page=2" in first
    second = text_of(as_owner.get("/backoffice/membership/holders?state=active&page=2"))
    assert "持有人00" in second and "持有人01" not in second
    assert "没有符合条件的记录" in text_of(as_owner.get("/backoffice/membership/holders?state=all&page=99"))


def test_are_delisting_and_stopping_applied_and_audited(as_owner, owner, merchant):
    plan = make_plan(owner, merchant)
    page = text_of(as_owner.get("/backoffice/membership"))
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    for action in ("delist", "disable"):
        answer = as_owner.post(f"/backoffice/membership/{plan.id}/{action}", data={"csrf_token": token})
        assert answer.status_code == 302
    plan = fresh(plan)
    assert (plan.listed, plan.disabled) == (False, True)
    assert "已停用" in text_of(as_owner.get("/backoffice/membership"))


def test_does_the_holders_list_show_who_until_when_and_filter(as_owner, owner, make, merchant):
    plan = make_plan(owner, merchant)
    member, card = bought(make, merchant, plan)
    page = text_of(as_owner.get("/backoffice/membership/holders"))
    assert "付费甲" in page and "年度会员" in page and "¥99.00" in page and "生效中" in page
    assert f"/backoffice/membership/cards/{card.id}/refund" in page and "订单" in page
    assert "1</a>" in text_of(as_owner.get("/backoffice/membership"))  # one member holds it now
    card.ends_at = now_utc() - timedelta(minutes=1)  # lapsed, before the job has run
    db.session.commit()
    assert "付费甲" not in text_of(as_owner.get("/backoffice/membership/holders?state=active"))
    everyone = text_of(as_owner.get(f"/backoffice/membership/holders?state=all&plan={plan.id}"))
    assert "付费甲" in everyone and "已过期" in everyone


def test_does_taking_a_membership_back_end_it_and_give_the_level_back(as_owner, owner, make, merchant):
    plan = make_plan(owner, merchant)
    member, card = bought(make, merchant, plan)
    assert member.level.name == "金卡"
    page = text_of(as_owner.get(f"/backoffice/membership/cards/{card.id}/refund"))
    assert "退出付费会员" in page and "在订单中退款" in page
    answer = as_owner.post(f"/backoffice/membership/cards/{card.id}/refund", data={
        "mode": "money", "amount": "50", "take_back": "y", "reason": "搬家", "key": key_of(page)})
    assert answer.status_code == 302, text_of(answer)
    assert fresh(card).state == "refunded" and fresh(member).level.name == "普通"
    assert count(LevelChange, LevelChange.reason == "paid_refund") == 1
    records = text_of(as_owner.get("/backoffice/membership/refunds"))
    assert "年度会员" in records and "¥50.00" in records and "搬家" in records
    assert "年度会员" not in text_of(as_owner.get("/backoffice/benefit-cards/refunds"))
    history = text_of(as_owner.get(f"/backoffice/members/{member.id}"))
    assert "开通付费会员" in history and "付费会员退款" in history


class FakeChannel:
    @staticmethod
    def refund(merchant, order, amount, out_refund_no, reason):
        return {"refund_id": "CH-" + out_refund_no, "status": "succeeded"}


def test_does_refunding_the_order_pay_back_and_end_the_membership(as_owner, owner, make, merchant, monkeypatch):
    monkeypatch.setattr(payment_channels, "channel_for", lambda channel: FakeChannel)
    plan = make_plan(owner, merchant)
    member, card = bought(make, merchant, plan)
    order = db.session.query(Order).filter_by(member_id=member.id).one()
    page = text_of(as_owner.get(f"/backoffice/orders/{order.id}"))
    assert "退款后付费会员立即结束" in page
    key = re.search(r'name="key"[^>]*value="([^"]+)"', page).group(1)
    done = as_owner.post(f"/backoffice/orders/{order.id}/refund", data={"amount": "99", "reason": "七天无理由",
                                                                          "key": key}, follow_redirects=True)
    assert "已退款 ¥99.00" in text_of(done)
    assert fresh(card).state == "refunded" and fresh(member).level.name == "普通"
    assert count(LevelChange, LevelChange.reason == "paid_refund") == 1


def test_are_plans_and_their_cards_not_reachable_as_benefit_cards(as_owner, owner, make, merchant):
    plan = make_plan(owner, merchant)
    _member, card = bought(make, merchant, plan)
    for path in (f"/backoffice/benefit-cards/{plan.id}/edit", f"/backoffice/benefit-cards/{plan.id}/holders",
                 f"/backoffice/benefit-cards/{plan.id}/issue", f"/backoffice/benefit-cards/cards/{card.id}/refund"):
        assert as_owner.get(path).status_code == 404, path
    ordinary = benefit_templates.save_template(db.session, owner, None, title="洗车卡", price=1000,
                                               discount_percent=90)
    db.session.commit()
    assert as_owner.get(f"/backoffice/membership/{ordinary.id}/edit").status_code == 404


def test_is_another_merchants_plan_or_card_not_found(as_owner, make, merchant):
    other = make.merchant()
    other_owner = make.staff(other, role=roles.OWNER)
    db.session.commit()
    plan = make_plan(other_owner, other)
    _member, card = bought(make, other, plan, mobile="13800000032")
    before = count(AuditLog)
    for path in (f"/backoffice/membership/{plan.id}/edit", f"/backoffice/membership/cards/{card.id}/refund",
                 f"/backoffice/membership/holders?plan={plan.id}"):
        assert as_owner.get(path).status_code == 404, path
    assert as_owner.post(f"/backoffice/membership/{plan.id}/disable").status_code == 404
    assert as_owner.post(f"/backoffice/membership/cards/{card.id}/refund",
                         data={"mode": "no_money", "key": "x"}).status_code == 404
    assert fresh(plan).disabled is False and fresh(card).state == "active" and count(AuditLog) == before
    assert count(CardRefund) == 0


@pytest.mark.parametrize("query", ["plan=abc", "plan=" + "9" * 25, "state=%00", "plan=-1"])
def test_is_a_bad_holders_query_answered_without_an_error(as_owner, query):
    assert as_owner.get(f"/backoffice/membership/holders?{query}").status_code in (400, 404)


@pytest.mark.parametrize("role", [r for r in roles.ALL_ROLES if roles.can(r, "backoffice.enter")])
def test_may_only_managers_open_the_screens_and_take_memberships_back(sign_in_as, client, make, owner, merchant, role):
    plan = make_plan(owner, merchant)
    _member, card = bought(make, merchant, plan)
    sign_in_as(role)
    for path in ("/backoffice/membership", "/backoffice/membership/new", "/backoffice/membership/holders",
                 "/backoffice/membership/refunds", f"/backoffice/membership/{plan.id}/edit"):
        assert client.get(path).status_code == (200 if roles.can(role, "cards.manage") else 403), path
    refund = client.get(f"/backoffice/membership/cards/{card.id}/refund")
    assert refund.status_code == (200 if roles.can(role, "cards.refund") else 403)
    shown = "付费会员" in text_of(client.get("/backoffice/"))
    assert shown == roles.can(role, "cards.manage")  # the menu shows what the role may open
