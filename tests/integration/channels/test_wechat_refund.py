"""WeChat Pay refunds (secapi/pay/refund) through the sandbox over real HTTP: orders are paid at the sandbox and
recorded by the query job, then refunded with channels.wechat_pay_trades.refund, which the ledger side calls."""
import secrets
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from channels import wechat_pay as wxpay, wechat_pay_trades as wechat
from channels.wechat import ChannelNotConfigured
from domain.clock import now_utc
from domain.errors import Conflict
from jobs.payments import settle_overdue_orders
from models import Order, SandboxGrant
from sandbox import wechat_pay_orders as sandbox_pay, wechat_state as sbx
from services.members import members
from services.orders import orders, refunds
from services.wallet import journal as wallet

APP_ID = "wx5f1d0c0ffee00002"
MCH_ID = "1900000110"
OPENID = "oRefund000000000000000000001"


@pytest.fixture(params=["MD5", "HMAC-SHA256"])
def paid(request, db, make, live_server):
    """A 100 yuan top-up paid at the sandbox and recorded here."""
    merchant = make.merchant(wechat_app_id=APP_ID, wechat_app_secret=secrets.token_hex(16),
                             wechat_pay_mch_id=MCH_ID, wechat_pay_api_key=secrets.token_hex(16),
                             wechat_pay_sign_type=request.param)
    member = make.member(merchant)
    members.bind_identity(db.session, member, "wechat_openid", OPENID, app_id=APP_ID)
    order = orders.create(db.session, merchant, member.id, kind="topup", channel="wechat", amount=10000,
                          description="储值充值 100 元", items={"principal": 10000, "bonus": 1000}, key="topup-r")
    db.session.commit()
    pay_at_sandbox(db, order, request.param)
    assert settle_overdue_orders(db.session, now=now_utc() + timedelta(hours=1)) == {order.id: "paid"}
    db.session.expire_all()
    return db.session.get(type(merchant), merchant.id), db.session.get(Order, order.id)


def pay_at_sandbox(db, order, sign_type):
    prepay_id = "wx" + secrets.token_hex(16)
    db.session.add(SandboxGrant(kind="wxpay_prepay", value=prepay_id, app_id=APP_ID, user_key=OPENID,
                                scope=order.out_trade_no, used_at=now_utc()))
    sbx.record(db.session, "wxpay_order", APP_ID, prepay_id, {
        "mch_id": MCH_ID, "out_trade_no": order.out_trade_no, "body": order.description, "total_fee": order.amount,
        "fee_type": "CNY", "notify_url": "http://127.0.0.1:9/lost", "sign_type": sign_type, "openid": OPENID})
    db.session.commit()


def refunds_at_sandbox(db, order):
    db.session.expire_all()
    return db.session.scalars(select(SandboxGrant).where(SandboxGrant.kind == "wxpay_refund",
                                                         SandboxGrant.scope == order.out_trade_no)).all()


def test_is_part_of_a_paid_order_refunded_and_the_rest_later(db, paid):
    merchant, order = paid

    first = wechat.refund(merchant, order, 3000, "RF0001", "顾客退一部分")
    rest = wechat.refund(merchant, order, 7000, "RF0002", "余额全部退回")

    assert first["status"] == rest["status"] == "succeeded"
    assert first["refund_id"] and rest["refund_id"] and first["refund_id"] != rest["refund_id"]
    assert len(refunds_at_sandbox(db, order)) == 2


def test_does_the_channel_refuse_a_refund_above_what_is_left(db, paid):
    merchant, order = paid
    wechat.refund(merchant, order, 6000, "RF0001", "部分退款")

    with pytest.raises(Conflict, match="超过订单可退金额"):
        wechat.refund(merchant, order, 4001, "RF0002", "多退")
    assert len(refunds_at_sandbox(db, order)) == 1
    assert wechat.refund(merchant, order, 4000, "RF0003", "退余下的")["status"] == "succeeded"


def test_does_the_same_refund_number_sent_twice_refund_once(db, paid):
    merchant, order = paid

    first = wechat.refund(merchant, order, 3000, "RF0001", "退款")
    again = wechat.refund(merchant, order, 3000, "RF0001", "退款")

    assert again == first
    assert len(refunds_at_sandbox(db, order)) == 1
    assert wechat.refund(merchant, order, 7000, "RF0002", "余下")["status"] == "succeeded"


def test_is_a_refund_number_reused_with_another_amount_refused(db, paid):
    merchant, order = paid
    wechat.refund(merchant, order, 3000, "RF0001", "退款")

    with pytest.raises(Conflict, match="不一致"):
        wechat.refund(merchant, order, 2000, "RF0001", "退款")
    assert len(refunds_at_sandbox(db, order)) == 1


def test_does_a_refund_refused_by_the_channel_raise_with_its_message(db, live_server, paid):
    merchant, order = paid
    switched = requests.post(f"{live_server}/sandbox/wechatpay/refund/fail-next", timeout=30,
                             data={"mch_id": MCH_ID, "err_code": "NOTENOUGH", "err_code_des": "基本账户余额不足"})
    assert switched.status_code == 200

    with pytest.raises(Conflict, match="微信支付拒绝退款：基本账户余额不足"):
        wechat.refund(merchant, order, 3000, "RF0001", "退款")
    assert refunds_at_sandbox(db, order) == []
    assert wechat.refund(merchant, order, 3000, "RF0001", "退款")["status"] == "succeeded"


def test_is_an_answer_with_a_bad_signature_refused_and_safe_to_retry(db, paid, monkeypatch):
    merchant, order = paid
    genuine = sandbox_pay._signed

    def forged(merchant, sign_type, params):
        impostor = type("Impostor", (), {"wechat_app_id": merchant.wechat_app_id, "wechat_pay_api_key":
                                         secrets.token_hex(16), "wechat_pay_mch_id": merchant.wechat_pay_mch_id})
        return genuine(impostor, sign_type, params)

    monkeypatch.setattr(sandbox_pay, "_signed", forged)
    with pytest.raises(Conflict, match="无法验证"):
        wechat.refund(merchant, order, 3000, "RF0001", "退款")
    monkeypatch.setattr(sandbox_pay, "_signed", genuine)

    retried = wechat.refund(merchant, order, 3000, "RF0001", "退款")
    assert retried["status"] == "succeeded"
    assert len(refunds_at_sandbox(db, order)) == 1


def test_is_a_refund_of_an_order_never_paid_at_wechat_refused(db, make, paid):
    merchant, _order = paid
    member = make.member(merchant)
    unpaid = orders.create(db.session, merchant, member.id, kind="topup", channel="wechat", amount=5000,
                           description="储值充值 50 元", items={"principal": 5000, "bonus": 0}, key="topup-u")
    db.session.commit()

    with pytest.raises(Conflict, match="订单不存在"):
        wechat.refund(merchant, unpaid, 1000, "RF0009", "退款")


@pytest.mark.parametrize("amount, number", [(0, "RF1"), (10001, "RF1"), (100, ""), (100, "R" * 33),
                                            (100, "退款单号")])
def test_is_a_malformed_refund_request_refused_before_reaching_wechat(db, paid, amount, number):
    merchant, order = paid

    with pytest.raises(Conflict):
        wechat.refund(merchant, order, amount, number, "退款")
    assert refunds_at_sandbox(db, order) == []


def test_does_production_refuse_to_refund_without_the_client_certificate(app, db, paid, monkeypatch):
    merchant, order = paid
    monkeypatch.setitem(app.config, "WECHAT_PAY_BASE", "https://api.mch.weixin.qq.com/")
    monkeypatch.setitem(app.config, "WECHAT_PAY_CERT_DIR", "")

    with pytest.raises(Conflict, match="证书"):
        wechat.refund(merchant, order, 1000, "RF0001", "退款")


def test_is_the_client_certificate_read_from_the_merchant_directory(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_PAY_CERT_DIR", str(tmp_path))
    (tmp_path / MCH_ID).mkdir()
    (tmp_path / MCH_ID / "apiclient_cert.pem").write_text("cert")

    with app.app_context():
        with pytest.raises(ChannelNotConfigured, match="缺失"):
            wxpay.client_certificate(MCH_ID)
        (tmp_path / MCH_ID / "apiclient_key.pem").write_text("key")
        assert wxpay.client_certificate(MCH_ID) == (str(tmp_path / MCH_ID / "apiclient_cert.pem"),
                                                     str(tmp_path / MCH_ID / "apiclient_key.pem"))
        with pytest.raises(ChannelNotConfigured):
            wxpay.client_certificate("../" + MCH_ID)


def test_is_a_paid_top_up_refunded_through_the_refund_service_at_wechat_and_on_the_journal(db, make, paid):
    merchant, order = paid
    owner = make.staff(merchant, role="owner")
    db.session.commit()
    record = refunds.refund_topup(db.session, owner, order.id, 4000, reason="顾客要求", key="rf:wechat")
    db.session.commit()
    assert record.state == "succeeded" and record.channel_refund_id and len(refunds_at_sandbox(db, order)) == 1
    purse = wallet.member_wallet(db.session, merchant.id, order.member_id)
    assert (purse.principal, purse.bonus) == (6000, 600)
