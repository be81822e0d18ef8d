"""Back office: an order's page, its refund form for owners and admins, and the refunds it lists."""
import re

import pytest

from domain import roles
from domain.orders import Expected
from extensions import db
from services import orders, stored_value, wallet
from tests.web.helpers import fresh, text_of


class FakeChannel:
    @staticmethod
    def refund(merchant, order, amount, out_refund_no, reason):
        return {"refund_id": "CH-" + out_refund_no, "status": "succeeded"}


@pytest.fixture()
def topup(make, merchant, owner, monkeypatch):
    from payments import checkout

    monkeypatch.setattr(checkout, "channel_module", lambda channel: FakeChannel)
    member = make.member(merchant)
    stored_value.enable(db.session, owner)
    order = orders.create(db.session, merchant, member.id, kind="topup", channel="alipay", amount=10000,
                          description="储值充值", items={"principal": 10000, "bonus": 1000}, key="topup:page")
    orders.record_payment(db.session, merchant, order, amount=10000, currency="CNY", app_id="a", merchant_no="",
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
