"""Back office: an order's page, its refund form for owners and admins, and the refunds it lists."""
import re

import pytest

from channels import payment_channels
from domain import roles
from domain.orders import Expected
from extensions import db
from sandbox.wechat_state import provision_account
from services.cards import count_timed_templates, count_timed_use
from services.orders import orders, refund_results, refunds, settlement
from services.wallet import stored_value, journal as wallet
from tests.web.helpers import fresh, text_of, wechat_member, wechat_phone


class FakeChannel:
    @staticmethod
    def refund(merchant, order, amount, out_refund_no, reason):
        return {"refund_id": "CH-" + out_refund_no, "status": "succeeded"}


@pytest.fixture()
def topup(make, merchant, owner, monkeypatch):
    monkeypatch.setattr(payment_channels, "channel_for", lambda channel: FakeChannel)
    member = make.member(merchant)
    stored_value.enable(db.session, owner)
    order = orders.create(db.session, merchant, member.id, kind="topup", channel="alipay", amount=10000,
                          description="储值充值", items={"principal": 10000, "bonus": 1000}, key="topup:page")
    settlement.record_payment(db.session, merchant, order, amount=10000, currency="CNY", app_id="a", merchant_no="",
                          channel_trade_no="T", payer="u", expected=Expected(10000, "CNY", "a", ""))
    db.session.commit()
    return order, member


def test_can_an_owner_refund_part_of_a_top_up_from_its_page(as_owner, merchant, topup):
    order, member = topup
    page = text_of(as_owner.get(f"/backoffice/orders/{order.id}"))
    assert "全额退款可退 ¥100.00，收回赠送 ¥10.00" in page
    key = re.search(r'name="key"[^>]*value="([^"]+)"', page).group(1)
    done = as_owner.post(f"/backoffice/orders/{order.id}/refund", data={"amount": "30", "reason": "顾客要求",
                                                                        "key": key}, follow_redirects=True)
    assert "已退款 ¥30.00，收回赠送 ¥3.00" in text_of(done) and "顾客要求" in text_of(done)
    purse = wallet.member_wallet(db.session, merchant.id, member.id)
    assert (fresh(purse).principal, fresh(purse).bonus) == (7000, 700)


@pytest.mark.parametrize("data, message", [
    ({"amount": "", "reason": "x"}, "请填写退款金额"),
    ({"amount": "abc", "reason": "x"}, "金额"),
    ({"amount": "100.01", "reason": "x"}, "退款金额须在"),
    ({"amount": "10", "reason": ""}, "请填写退款原因"),
])
def test_is_a_bad_refund_refused_with_nothing_changed(as_owner, merchant, topup, data, message):
    order, member = topup
    response = as_owner.post(f"/backoffice/orders/{order.id}/refund", data={**data, "key": "refund:bad"})
    assert response.status_code in (400, 409) and message in text_of(response)
    assert fresh(order).refunded_amount == 0


def test_may_an_operator_see_the_order_but_not_refund_it(sign_in_as, client, topup):
    order, _ = topup
    sign_in_as(roles.OPERATOR)
    page = text_of(client.get(f"/backoffice/orders/{order.id}"))
    assert "确认退款" not in page
    assert client.post(f"/backoffice/orders/{order.id}/refund",
                       data={"amount": "1", "reason": "x", "key": "k"}).status_code == 403


# --- card and coupon orders; failed refunds ------------------------------------------------------------------------

def _paid(merchant, member, kind, amount, items, key):
    order = orders.create(db.session, merchant, member.id, kind=kind, channel="wechat", amount=amount,
                          description="购买", items=items, key=key)
    settlement.record_payment(db.session, merchant, order, amount=amount, currency="CNY", app_id="a", merchant_no="",
                          channel_trade_no="T" + key, payer="u", expected=Expected(amount, "CNY", "a", ""))
    db.session.commit()
    return order


@pytest.fixture()
def count_card(make, merchant, owner, topup):
    _order, member = topup  # the fake channel and a member
    template = count_timed_templates.save_template(db.session, owner, None, kind="count", title="洗车十次卡",
                                                   service_name="精洗", uses=10, price=10000)
    order = _paid(merchant, member, "count_card", 10000, {"template_id": template.id}, "count:page")
    store = make.store(merchant, "东门店")
    count_timed_use.use(db.session, owner, order.fulfilment["card_id"], store_id=store.id, method="manual",
                        key="use:page", quantity=4)
    db.session.commit()
    return order


def test_does_a_count_card_order_page_suggest_the_unused_share_and_refund_it(as_owner, count_card):
    order = count_card
    page = text_of(as_owner.get(f"/backoffice/orders/{order.id}"))
    assert "已使用 4 次（共 10 次），按未使用次数建议退 ¥60.00" in page and "确认退款" in page
    key = re.search(r'name="key"[^>]*value="([^"]+)"', page).group(1)

    done = text_of(as_owner.post(f"/backoffice/orders/{order.id}/refund",
                                 data={"amount": "60", "reason": "顾客退卡", "key": key}, follow_redirects=True))

    assert "已退款 ¥60.00" in done and "顾客退卡" in done
    assert fresh(order).refunded_amount == 6000


def test_is_a_gift_card_order_page_without_a_refund_form(as_owner, merchant, topup):
    _order, member = topup
    order = orders.create(db.session, merchant, member.id, kind="gift_card", channel="wechat", amount=5000,
                          description="礼品卡", items={"template_id": 1, "quantity": 1}, key="gift:page")
    order.state = "fulfilled"
    db.session.commit()
    page = text_of(as_owner.get(f"/backoffice/orders/{order.id}"))
    assert "礼品卡一经售出，不可退款" in page and "确认退款" not in page
    refused = as_owner.post(f"/backoffice/orders/{order.id}/refund", data={"amount": "1", "reason": "x", "key": "k1"})
    assert refused.status_code == 400 and "礼品卡一经售出，不可退款" in text_of(refused)


def test_do_both_order_pages_say_a_failed_refund_was_put_back(as_owner, client, make, merchant, owner, monkeypatch):
    class Slow:
        @staticmethod
        def refund(merchant, order, amount, out_refund_no, reason):
            return {"refund_id": "CH", "status": "processing"}

    monkeypatch.setattr(payment_channels, "channel_for", lambda channel: Slow)
    provision_account(db.session, merchant)
    member = wechat_member(make, merchant, "oFailedRefund00000000000001")
    stored_value.enable(db.session, owner)
    order = _paid(merchant, member, "topup", 10000, {"principal": 10000, "bonus": 1000}, "topup:failed")
    record = refunds.refund_order(db.session, owner, order.id, 4000, reason="顾客要求", key="rf:failed")
    db.session.commit()
    assert "处理中" in text_of(as_owner.get(f"/backoffice/orders/{order.id}"))

    refund_results.settle(db.session, record, False, reason="微信支付退款已关闭")
    db.session.commit()

    expected = "退款失败：微信支付退款已关闭，款项已退回储值账户"
    assert expected in text_of(as_owner.get(f"/backoffice/orders/{order.id}"))
    phone = wechat_phone(client, merchant, "oFailedRefund00000000000001")
    assert expected in text_of(phone.get(f"/h5/{merchant.slug}/orders/{order.id}"))
