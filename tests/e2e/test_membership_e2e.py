"""In real Chromium inside WeChat: a member opens a shared 付费会员 link, opens the year's membership through the
sandbox's WeChat Pay, lands on the order, and sees the membership on its page, the 付费会员 badge and tile on the
member card with the level it gives, and on 我的; the order is credited to the link and counted as a paid
membership."""
import re

import pytest
from sqlalchemy import select

from models import Attribution, Card, Member, Order
from sandbox import wechat_state as wechat_sandbox
from services.cards import membership_plans
from services.members import levels as level_service
from services.members import members
from services.recruitment import sources
from tests.web.member_h5.test_h5_support import provision

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def one_delivery(app, monkeypatch):
    """One notification per payment: the compressed retry schedule would outlive the test's tables."""
    monkeypatch.setitem(app.config, "SANDBOX_NOTIFY_DELAYS", (0,))


@pytest.fixture()
def shop(make, db):
    merchant = provision(db, make.merchant(slug="vipcafe", name="会员咖啡"))
    owner = make.staff(merchant, role="owner")
    ladder = {level.name: level for level in level_service.list_levels(db.session, merchant.id)}
    plan = membership_plans.save_plan(db.session, owner, None, title="年度会员", price=9900, valid_days=365,
                                      discount_percent=88, points_multiplier=200, free_items=["每月免费升杯 2 次"],
                                      membership_level_id=ladder["金卡"].id, after_expiry_level_id=ladder["普通"].id)
    link = sources.for_share(db.session, merchant.id, "moments", target="paid_membership", template_id=plan.id)
    person = wechat_sandbox.create_wechat_user(db.session, merchant.wechat_app_id, "想开会员")
    member = members.create_member(db.session, merchant.id, mobile="13688886666", name="想开会员")
    members.bind_identity(db.session, member, "wechat_openid", person.user_key, app_id=merchant.wechat_app_id)
    db.session.commit()
    return dict(slug=merchant.slug, person_id=person.id, member_id=member.id, plan_id=plan.id, token=link.token,
                link_id=link.id)


def test_does_a_member_open_a_paid_membership_through_wechat_pay_and_see_it_everywhere(phone, live_server, shop,
                                                                                       db):
    host = live_server.split("//", 1)[1].split(":")[0]
    phone.context.add_cookies([
        {"name": "sandbox_client", "value": "wechat", "domain": host, "path": "/"},
        {"name": "sandbox_wechat_user", "value": str(shop["person_id"]), "domain": host, "path": "/"},
    ])
    slug, plan_id = shop["slug"], shop["plan_id"]
    phone.goto(f"{live_server}/h5/{slug}/")  # silent OAuth through the sandbox, as inside WeChat
    phone.wait_for_url(re.compile(rf"/h5/{slug}/member"))
    assert phone.text_content("#member-level").strip() == "普通"

    phone.goto(f"{live_server}/h5/{slug}/j/{shop['token']}")  # the link a friend shared in 朋友圈
    phone.wait_for_url(re.compile(rf"/h5/{slug}/membership/{plan_id}$"))
    plan = phone.locator(f"[data-template-id='{plan_id}']")
    assert plan.get_attribute("data-offer") == "buy"
    terms = plan.text_content()
    assert "¥99.00 / 365 天" in terms and "开通即享「金卡」" in terms and "8.8折" in terms and "成为「普通」" in terms
    phone.click(f"[data-pay-plan='{plan_id}']")
    phone.click("#sandbox-cashier")  # outside real WeChat there is no WeixinJSBridge: the sandbox's cashier
    assert phone.text_content("#cashier-amount") == "¥99.00"
    phone.click("#cashier-pay")
    assert phone.text_content("#cashier-result").strip() == "支付成功"
    phone.click("#cashier-return")
    phone.wait_for_selector("#order-state[data-state=fulfilled]")
    assert "付费会员" in phone.text_content("body")

    phone.click("#issued-card")
    phone.wait_for_url(re.compile(rf"/h5/{slug}/membership$"))
    status = phone.locator("#membership-status")
    assert status.get_attribute("data-active") == "yes" and "有效期至" in status.text_content()
    assert phone.locator(f"[data-template-id='{plan_id}']").get_attribute("data-offer") == "renew"

    phone.goto(f"{live_server}/h5/{slug}/member")
    assert phone.locator("#membership-badge").is_visible()
    assert phone.text_content("#member-level").strip() == "金卡"
    assert re.fullmatch(r"至 \d{4}-\d{2}-\d{2}( \d{2}:\d{2})?",
                        phone.locator("#tile-membership .h5-grid__count").inner_text().strip())
    phone.goto(f"{live_server}/h5/{slug}/member/me")
    assert "付费会员" in phone.text_content("#membership-link")

    db.session.expire_all()
    order = db.session.scalars(select(Order).where(Order.member_id == shop["member_id"])).one()
    assert (order.state, order.amount, order.source_id) == ("fulfilled", 9900, shop["link_id"])
    card = db.session.get(Card, order.fulfilment["card_id"])
    assert card.template_id == plan_id and db.session.get(Member, shop["member_id"]).level.name == "金卡"
    credited = db.session.scalars(select(Attribution).where(Attribution.member_id == shop["member_id"],
                                                            Attribution.event == "paid_membership")).one()
    assert credited.source_id == shop["link_id"] and credited.amount == 9900
