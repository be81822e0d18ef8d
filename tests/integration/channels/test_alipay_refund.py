"""channels.alipay_trades.refund against the sandbox gateway over HTTP: part and whole refunds, the channel's refusals,
the same out_refund_no sent twice, and answers that cannot be trusted."""
import json

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from channels import alipay_trades as pay
from domain.errors import Conflict
from models import Merchant, Order
from sandbox import alipay_keys, alipay_trades
from sandbox.alipay_keys import provision_merchant
from services.orders import channel_payments, orders, refunds
from services.wallet import journal as wallet
from tests.integration.helpers import run_concurrently


@pytest.fixture()
def shop(make, db):
    merchant = provision_merchant(db.session, make.merchant(name="支付宝退款店"))
    db.session.commit()
    return merchant


@pytest.fixture()
def paid(db, make, shop):
    """A 100 yuan top-up paid on the sandbox and settled through the trade query."""
    return _paid_order(db, make, shop, key="refund-topup")


def _paid_order(db, make, merchant, key):
    member = make.member(merchant)
    order = orders.create(db.session, merchant, member.id, kind="topup", channel="alipay", amount=10000,
                          description="充值 100 元", items={"principal": 10000, "bonus": 1000}, key=key)
    db.session.commit()
    trade = {"app_id": merchant.alipay_app_id, "out_trade_no": order.out_trade_no, "total_amount": "100.00",
             "subject": order.description, "status": "TRADE_SUCCESS", "trade_no": f"2026112422001{order.id:015d}",
             "notify_url": "", "return_url": "", "quit_url": "", "time_expire": "",
             "gmt_create": "2026-11-24 09:00:00", "gmt_payment": "2026-11-24 09:01:00", "buyer_id": "2088000000000555"}
    alipay_keys.put(db.session, alipay_trades.trade_key(merchant.alipay_app_id, order.out_trade_no),
                    json.dumps(trade, ensure_ascii=False, sort_keys=True))
    db.session.commit()
    assert channel_payments.settle_by_query(db.session, order) == "paid"
    db.session.commit()
    return order


def _sandbox_trade(db, merchant, order):
    db.session.expire_all()
    return alipay_trades.load_trade(merchant.alipay_app_id, order.out_trade_no)[1]


def _refunded(db, merchant, order):
    return sum(_sandbox_trade(db, merchant, order).get("refunds", {}).values())


def test_can_part_of_a_paid_order_be_refunded_and_the_rest_later(db, shop, paid):
    first = pay.refund(shop, paid, 3050, "R20261124000001", "顾客退卡")
    assert first == {"refund_id": f"{paid.channel_trade_no}-R20261124000001", "status": "succeeded"}
    trade = _sandbox_trade(db, shop, paid)
    assert trade["refunds"] == {"R20261124000001": 3050} and trade["status"] == "TRADE_SUCCESS"
    rest = pay.refund(shop, paid, 6950, "R20261124000002", "")
    assert rest["status"] == "succeeded" and rest["refund_id"] != first["refund_id"]
    trade = _sandbox_trade(db, shop, paid)
    assert _refunded(db, shop, paid) == 10000 and trade["status"] == "TRADE_CLOSED"


def test_does_alipay_refuse_a_refund_beyond_what_is_left(db, shop, paid):
    pay.refund(shop, paid, 6000, "R20261124000003", "部分退款")
    with pytest.raises(pay.RefundRefused, match="退款金额超限"):
        pay.refund(shop, paid, 4001, "R20261124000004", "超额退款")
    assert _refunded(db, shop, paid) == 6000
    assert pay.refund(shop, paid, 4000, "R20261124000005", "退余额")["status"] == "succeeded"
    assert _refunded(db, shop, paid) == 10000


def test_does_the_same_out_refund_no_sent_twice_refund_once(db, shop, paid):
    first = pay.refund(shop, paid, 2000, "R20261124000006", "退款")
    again = pay.refund(shop, paid, 2000, "R20261124000006", "退款")
    assert again == first
    assert _sandbox_trade(db, shop, paid)["refunds"] == {"R20261124000006": 2000}


def test_is_the_same_out_refund_no_with_another_amount_refused(db, shop, paid):
    pay.refund(shop, paid, 2000, "R20261124000007", "退款")
    with pytest.raises(Conflict, match="金额不一致"):
        pay.refund(shop, paid, 2500, "R20261124000007", "退款")
    assert _refunded(db, shop, paid) == 2000


def test_does_a_refund_retried_after_the_whole_order_was_refunded_still_succeed(db, shop, paid):
    pay.refund(shop, paid, 10000, "R20261124000008", "全额退款")
    assert pay.refund(shop, paid, 10000, "R20261124000008", "全额退款")["status"] == "succeeded"
    assert _refunded(db, shop, paid) == 10000
    with pytest.raises(pay.RefundRefused, match="交易状态不合法"):
        pay.refund(shop, paid, 1, "R20261124000009", "再退一分")


def test_does_a_refund_refused_by_alipay_raise_with_alipays_message(app, db, shop, paid):
    answer = requests.post(app.config["ALIPAY_GATEWAY"].replace("/gateway.do", "/refund-failure"),
                           data={"app_id": shop.alipay_app_id, "message": "商户账户余额不足"}, timeout=10)
    assert answer.status_code == 200
    with pytest.raises(pay.RefundRefused, match="支付宝拒绝退款：商户账户余额不足") as refused:
        pay.refund(shop, paid, 1000, "R20261124000010", "退款")
    assert refused.value.details["sub_code"] == "ACQ.SELLER_BALANCE_NOT_ENOUGH"
    assert _refunded(db, shop, paid) == 0
    # The switch fails one refund only: the same number goes through when sent again.
    assert pay.refund(shop, paid, 1000, "R20261124000010", "退款")["status"] == "succeeded"
    assert _refunded(db, shop, paid) == 1000


def test_does_the_failure_switch_refuse_an_unknown_app(app, db):
    answer = requests.post(app.config["ALIPAY_GATEWAY"].replace("/gateway.do", "/refund-failure"),
                           data={"app_id": "2021999999999999"}, timeout=10)
    assert answer.status_code == 400


def _stranger_public_pem():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def test_is_a_refund_answer_not_signed_by_alipay_refused(db, shop, paid):
    shop.alipay_public_key = _stranger_public_pem()
    with pytest.raises(pay.RefundRefused, match="验签失败"):
        pay.refund(shop, paid, 1000, "R20261124000011", "退款")


def test_is_a_refund_request_signed_with_another_key_refused_by_alipay(db, shop, paid):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    shop.alipay_private_key = other.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()).decode()
    with pytest.raises(pay.RefundRefused, match="验签出错"):
        pay.refund(shop, paid, 1000, "R20261124000012", "退款")
    db.session.rollback()
    assert _refunded(db, shop, paid) == 0


def test_can_a_merchant_refund_another_merchants_trade(db, make, shop, paid):
    other = provision_merchant(db.session, make.merchant(name="另一家"))
    db.session.commit()
    with pytest.raises(pay.RefundRefused, match="交易不存在"):
        pay.refund(other, paid, 1000, "R20261124000013", "退款")
    assert _refunded(db, shop, paid) == 0


@pytest.mark.parametrize("amount,out_refund_no", [(0, "R1"), (-5, "R1"), (10001, "R1"), (10.5, "R1"),
                                                   (True, "R1"), (100, ""), (100, "R" * 33), (100, "退款1")])
def test_is_a_bad_amount_or_refund_number_refused_before_asking_alipay(db, shop, paid, amount, out_refund_no):
    with pytest.raises(Conflict):
        pay.refund(shop, paid, amount, out_refund_no, "退款")
    assert _refunded(db, shop, paid) == 0


def test_is_an_unpaid_order_refused_before_asking_alipay(db, make, shop):
    member = make.member(shop)
    order = orders.create(db.session, shop, member.id, kind="topup", channel="alipay", amount=10000,
                          description="充值 100 元", items={"principal": 10000, "bonus": 1000}, key="unpaid")
    db.session.commit()
    with pytest.raises(Conflict, match="不是已支付的支付宝订单"):
        pay.refund(shop, order, 1000, "R20261124000014", "退款")


def test_do_six_refunds_at_once_never_exceed_what_was_paid(app, db, shop, paid):
    merchant_id, order_id = shop.id, paid.id

    def operation(session, index):
        merchant, order = session.get(Merchant, merchant_id), session.get(Order, order_id)
        return pay.refund(merchant, order, 3000, f"R2026112400002{index}", "并发退款")

    results, errors = run_concurrently(app, 6, operation)
    assert len(results) == 3 and len(errors) == 3
    assert all("退款金额超限" in str(error) for error in errors)
    assert _refunded(db, shop, paid) == 9000


def test_does_the_same_refund_sent_from_five_threads_at_once_refund_once(app, db, shop, paid):
    merchant_id, order_id = shop.id, paid.id

    def operation(session, index):
        merchant, order = session.get(Merchant, merchant_id), session.get(Order, order_id)
        return pay.refund(merchant, order, 3000, "R20261124000030", "重复提交")

    results, errors = run_concurrently(app, 5, operation)
    assert errors == [] and len(results) == 5
    assert _sandbox_trade(db, shop, paid)["refunds"] == {"R20261124000030": 3000}


def test_is_a_paid_top_up_refunded_through_the_refund_service_at_alipay_and_on_the_journal(db, make, shop, paid):
    owner = make.staff(shop, role="owner")
    db.session.commit()
    record = refunds.refund_topup(db.session, owner, paid.id, 4000, reason="顾客要求", key="rf:alipay")
    db.session.commit()
    assert record.state == "succeeded" and _refunded(db, shop, paid) == 4000
    purse = wallet.member_wallet(db.session, shop.id, paid.member_id)
    assert (purse.principal, purse.bonus) == (6000, 600)
