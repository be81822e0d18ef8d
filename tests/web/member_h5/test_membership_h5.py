"""付费会员 in the member H5: the plans with price, duration, benefits and level; 开通 and 续费 through an order that
carries the link the visitor came through; a visitor without a card claims it first and comes back; delisted and
stopped plans, an expired membership, another merchant's plan, bad input; the centre's badge and tile, 我的."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from domain import roles
from domain.clock import now_utc
from domain.orders import Expected
from models import Card, Order
from services.cards import benefit_templates, membership_plans
from services.members import levels as level_service
from services.orders import settlement
from services.recruitment import sources
from tests.web.helpers import count, fresh, text_of, wechat_member, wechat_phone
from tests.web.member_h5 import test_h5_support
from tests.web.member_h5.test_h5_support import sign_in

shop = test_h5_support.shop  # the fixture
started = test_h5_support.started  # the fixture
OPENID = "o-membership-member-0000000001"
STRANGER = "o-membership-stranger-000000001"


@pytest.fixture()
def owner(make, db, shop):
    person = make.staff(shop, role=roles.OWNER)
    db.session.commit()
    return person


@pytest.fixture()
def member(make, shop):
    return wechat_member(make, shop, OPENID, mobile="13500000021", name="韩梅梅")


@pytest.fixture()
def phone(client, shop, member):
    return wechat_phone(client, shop, OPENID)


def ladder(db, shop):
    return {level.name: level for level in level_service.list_levels(db.session, shop.id)}


def make_plan(db, owner, shop, **overrides):
    levels = ladder(db, shop)
    values = dict(title="年度会员", price=9900, valid_days=365, discount_percent=90, points_multiplier=200,
                  free_items=["生日赠饮"], membership_level_id=levels["金卡"].id,
                  after_expiry_level_id=levels["银卡"].id)
    values.update(overrides)
    plan = membership_plans.save_plan(db.session, owner, None, **values)
    db.session.commit()
    return plan


def buy_key(page, plan_id):
    form = re.search(rf'action="[^"]*/membership/{plan_id}/buy".*?</form>', page, re.DOTALL).group(0)
    return re.search(r'name="key"[^>]*value="([^"]+)"', form).group(1)


def pay(db, shop, order):
    settlement.record_payment(db.session, shop, order, amount=order.amount, currency="CNY", app_id="wx",
                              merchant_no="", channel_trade_no=f"T{order.id}", payer=OPENID,
                              expected=Expected(order.amount, "CNY", "wx", ""))
    db.session.commit()


def orders_of(db, member):
    db.session.expire_all()
    return db.session.scalars(select(Order).where(Order.member_id == member.id).order_by(Order.id)).all()


def test_does_the_page_show_each_plan_with_price_duration_benefits_and_level(db, shop, owner, phone):
    plan = make_plan(db, owner, shop, notes="全国门店通用")
    page = text_of(phone.get(f"/h5/{shop.slug}/membership"))
    assert "付费会员" in page and "年度会员" in page and "¥99.00 / 365 天" in page
    assert "9折" in page and "2倍积分" in page and "生日赠饮" in page and "全国门店通用" in page
    assert "开通即享「金卡」" in page and "成为「银卡」" in page and "开通后 365 天，续费顺延" in page
    assert f'data-template-id="{plan.id}" data-offer="buy"' in page and "开通付费会员" in page
    assert "微信支付" in page and 'id="membership-status"' not in page


def test_does_a_member_buy_through_an_order_that_carries_the_link_they_came_through(db, shop, owner, member, phone,
                                                                                   started):
    plan = make_plan(db, owner, shop)
    link = sources.for_share(db.session, shop.id, "moments", target="paid_membership", template_id=plan.id)
    db.session.commit()
    landed = phone.get(f"/h5/{shop.slug}/j/{link.token}")
    assert landed.status_code == 302 and landed.headers["Location"].endswith(f"/h5/{shop.slug}/membership/{plan.id}")
    page = text_of(phone.get(f"/h5/{shop.slug}/membership/{plan.id}"))
    key = buy_key(page, plan.id)

    answer = phone.post(f"/h5/{shop.slug}/membership/{plan.id}/buy", data={"key": key, "price": "0.01"})

    order, = orders_of(db, member)
    assert answer.status_code == 200 and text_of(answer) == f"pay {order.out_trade_no}" and started == [order.id]
    assert (order.kind, order.amount, order.state) == ("benefit_card", 9900, "created")
    assert order.items["membership"] is True and order.source_id == link.id
    again = phone.post(f"/h5/{shop.slug}/membership/{plan.id}/buy", data={"key": key})  # a double tap
    assert again.status_code == 200 and count(Order, Order.member_id == member.id) == 1 and started == [order.id] * 2

    pay(db, shop, order)
    assert fresh(member).level.name == "金卡"
    mine = text_of(phone.get(f"/h5/{shop.slug}/membership"))
    assert 'id="membership-status" data-active="yes"' in mine and "有效期至" in mine
    assert f'data-template-id="{plan.id}" data-offer="renew"' in mine and "续费后有效期至" in mine
    detail = text_of(phone.get(f"/h5/{shop.slug}/orders/{order.id}"))
    assert "付费会员" in detail and "查看我的付费会员" in detail and "权益卡" not in detail


def test_does_a_renewal_from_the_page_extend_the_membership(db, shop, owner, member, phone, started):
    plan = make_plan(db, owner, shop)
    for n in range(2):
        page = text_of(phone.get(f"/h5/{shop.slug}/membership/{plan.id}"))
        phone.post(f"/h5/{shop.slug}/membership/{plan.id}/buy", data={"key": buy_key(page, plan.id)})
        pay(db, shop, orders_of(db, member)[n])
    cards = db.session.scalars(select(Card).where(Card.member_id == member.id).order_by(Card.id)).all()
    assert [c.state for c in cards] == ["voided", "active"]
    assert cards[1].ends_at - cards[1].starts_at > timedelta(days=729)


def test_is_a_visitor_without_a_card_sent_to_claim_it_and_back(db, client, shop, owner, started):
    plan = make_plan(db, owner, shop)
    sign_in(client, shop, "wechat", STRANGER)
    page = text_of(client.get(f"/h5/{shop.slug}/membership/{plan.id}"))
    assert f'data-template-id="{plan.id}" data-offer="claim_first"' in page and "领卡并开通" in page
    assert f"/h5/{shop.slug}/claim?next=/h5/{shop.slug}/membership/{plan.id}" in page
    answer = client.post(f"/h5/{shop.slug}/membership/{plan.id}/buy", data={"key": "membership:x:y"})
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(f"/h5/{shop.slug}/claim?next=/h5/{shop.slug}/membership/{plan.id}")
    assert count(Order) == 0 and started == []


def test_is_a_signed_out_visitor_sent_to_log_in_and_back(client, db, shop, owner):
    plan = make_plan(db, owner, shop)
    answer = client.get(f"/h5/{shop.slug}/membership?template_id={plan.id}")
    assert answer.status_code == 302
    assert f"/h5/{shop.slug}/?next=/h5/{shop.slug}/membership?template_id%3D{plan.id}" in answer.headers["Location"]


def test_do_delisted_and_stopped_plans_show_it_and_refuse_to_sell(db, shop, owner, member, phone, started):
    delisted = make_plan(db, owner, shop, title="季度会员")
    stopped = make_plan(db, owner, shop, title="体验会员")
    key = buy_key(text_of(phone.get(f"/h5/{shop.slug}/membership/{delisted.id}")), delisted.id)
    benefit_templates.delist_template(db.session, owner, delisted.id)
    benefit_templates.disable(db.session, owner, stopped.id)
    db.session.commit()
    page = text_of(phone.get(f"/h5/{shop.slug}/membership"))
    assert f'data-template-id="{delisted.id}" data-offer="sold_out"' in page and "暂停开通" in page
    assert "体验会员" not in page  # a stopped plan is no longer offered
    single = text_of(phone.get(f"/h5/{shop.slug}/membership/{stopped.id}"))
    assert f'data-offer="stopped"' in single and "已停止开通" in single
    answer = phone.post(f"/h5/{shop.slug}/membership/{delisted.id}/buy", data={"key": key}, follow_redirects=True)
    assert "该卡已下架" in text_of(answer) and count(Order) == 0 and started == []


def test_does_an_expired_membership_read_as_such_and_offer_to_open_again(db, shop, owner, member, phone, started):
    plan = make_plan(db, owner, shop)
    page = text_of(phone.get(f"/h5/{shop.slug}/membership/{plan.id}"))
    phone.post(f"/h5/{shop.slug}/membership/{plan.id}/buy", data={"key": buy_key(page, plan.id)})
    pay(db, shop, orders_of(db, member)[0])
    card = db.session.scalars(select(Card).where(Card.member_id == member.id)).one()
    card.ends_at = now_utc() - timedelta(days=1)
    db.session.commit()
    page = text_of(phone.get(f"/h5/{shop.slug}/membership"))
    assert 'id="membership-status" data-active="no"' in page and "到期，重新开通即可恢复会员权益" in page
    assert f'data-template-id="{plan.id}" data-offer="buy"' in page
    centre = text_of(phone.get(f"/h5/{shop.slug}/member"))
    assert 'id="membership-badge"' not in centre and "已到期" in centre


def test_is_another_merchants_plan_or_an_ordinary_card_not_found_here(db, make, shop, owner, phone, started):
    other = make.merchant()
    other_owner = make.staff(other, role=roles.OWNER)
    db.session.commit()
    foreign = membership_plans.save_plan(db.session, other_owner, None, title="他店会员", price=100, valid_days=30,
                                         discount_percent=95)
    card = benefit_templates.save_template(db.session, owner, None, title="洗车权益卡", price=1000,
                                           discount_percent=90)
    db.session.commit()
    for path in (f"membership/{foreign.id}", f"membership?template_id={foreign.id}", f"membership/{card.id}"):
        answer = phone.get(f"/h5/{shop.slug}/{path}")
        assert answer.status_code == 404 and "页面不存在" in text_of(answer), path
    answer = phone.post(f"/h5/{shop.slug}/membership/{foreign.id}/buy", data={"key": "membership:1:abc"})
    assert answer.status_code == 404 and count(Order) == 0 and started == []


@pytest.mark.parametrize("query", ["template_id=abc", "template_id=%00", "template_id=" + "9" * 25,
                                   "template_id=-1"])
def test_is_bad_input_answered_with_a_page_not_an_error(db, shop, owner, phone, query):
    make_plan(db, owner, shop)
    answer = phone.get(f"/h5/{shop.slug}/membership?{query}")
    assert answer.status_code in (400, 404) and ("页面不存在" in text_of(answer) or "操作未完成" in text_of(answer))


@pytest.mark.parametrize("key", ["", "a\x00b", "长" * 200])
def test_is_a_forged_or_stale_form_refused_with_nothing_made(db, shop, owner, phone, started, key):
    plan = make_plan(db, owner, shop)
    answer = phone.post(f"/h5/{shop.slug}/membership/{plan.id}/buy", data={"key": key}, follow_redirects=True)
    assert answer.status_code in (200, 400) and count(Order) == 0 and started == []
    assert "页面已过期" in text_of(answer) or "操作未完成" in text_of(answer)


def test_do_the_centre_and_the_me_page_show_the_membership_and_cards_lists_leave_it_out(db, shop, owner, member,
                                                                                      phone, started):
    plan = make_plan(db, owner, shop)
    centre = text_of(phone.get(f"/h5/{shop.slug}/member"))
    assert 'id="tile-membership"' in centre and "去开通" in centre and 'id="membership-badge"' not in centre
    page = text_of(phone.get(f"/h5/{shop.slug}/membership"))
    phone.post(f"/h5/{shop.slug}/membership/{plan.id}/buy", data={"key": buy_key(page, plan.id)})
    pay(db, shop, orders_of(db, member)[0])

    centre = text_of(phone.get(f"/h5/{shop.slug}/member"))
    assert 'id="membership-badge"' in centre and re.search(r'id="tile-membership">.*?至 \d{4}-\d{2}-\d{2}', centre,
                                                           re.S)
    assert re.search(r'id="tile-benefit-cards">.*?0 张', centre, re.S)
    me = text_of(phone.get(f"/h5/{shop.slug}/member/me"))
    assert 'id="membership-link"' in me and re.search(r"付费会员.*?至 \d{4}-\d{2}-\d{2}", me, re.S)
    assert "年度会员" not in text_of(phone.get(f"/h5/{shop.slug}/benefit-cards/mine"))
    assert "年度会员" not in text_of(phone.get(f"/h5/{shop.slug}/benefit-cards/"))
    assert "年度会员" not in text_of(phone.get(f"/h5/{shop.slug}/shop"))
    for path in (f"benefit-cards/{plan.id}", f"shop/card/{plan.id}"):
        answer = phone.get(f"/h5/{shop.slug}/{path}")
        assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/membership/{plan.id}"), path


def test_without_plans_do_the_centre_and_page_say_nothing_is_sold(shop, phone):
    assert 'id="tile-membership"' not in text_of(phone.get(f"/h5/{shop.slug}/member"))
    assert 'id="membership-link"' not in text_of(phone.get(f"/h5/{shop.slug}/member/me"))
    assert "商家暂未推出付费会员" in text_of(phone.get(f"/h5/{shop.slug}/membership"))


def test_while_another_plan_runs_is_the_reason_shown_instead_of_the_button(db, shop, owner, member, phone, started):
    yearly = make_plan(db, owner, shop)
    monthly = make_plan(db, owner, shop, title="月度会员", price=1500, valid_days=30)
    page = text_of(phone.get(f"/h5/{shop.slug}/membership/{yearly.id}"))
    phone.post(f"/h5/{shop.slug}/membership/{yearly.id}/buy", data={"key": buy_key(page, yearly.id)})
    pay(db, shop, orders_of(db, member)[0])
    page = text_of(phone.get(f"/h5/{shop.slug}/membership"))
    assert f'data-template-id="{monthly.id}" data-offer="other_running"' in page
    assert "您的付费会员「年度会员」生效中，到期前只能续费该方案" in page
