"""What every sandbox WeChat Pay (API v2) endpoint shares: `pay_api`, which checks a request like WeChat does
(merchant number, then the signature with the merchant's API key and the request's sign type) and answers in
signed XML, and the stored orders the endpoints read.

A prepay is a SandboxGrant (kind wxpay_prepay, value = prepay_id, scope = out_trade_no); `used_at` set means
paid and kind wxpay_closed means closed, both moved by conditional UPDATEs. Its details are a SandboxOutbox row.
JSAPI orders are sandbox/wechat_pay.py's, payment-code orders sandbox/wechat_micropay.py's, refunds
sandbox/wechat_pay_refunds.py's.
"""
from flask import make_response, request
from sqlalchemy import select

from channels import wechat_pay as wxpay
from domain.clock import now_utc
from extensions import db
from models import SandboxGrant, SandboxOutbox
from sandbox import wechat_state as sbx
from web import boundary

BASE = "/wechatpay/"
PREPAY, CLOSED = "wxpay_prepay", "wxpay_closed"


class PayError(Exception):
    """A business error: return_code SUCCESS, result_code FAIL, WeChat's err_code."""

    def __init__(self, err_code, description):
        super().__init__(err_code)
        self.err_code, self.description = err_code, description


def _xml(params):
    response = make_response(wxpay.dict_to_xml(params))
    response.headers["Content-Type"] = "text/xml; charset=utf-8"
    return response


def _fail(message):
    return _xml({"return_code": "FAIL", "return_msg": message})


def _signed(merchant, sign_type, params):
    params = {"return_code": "SUCCESS", "return_msg": "OK", "appid": merchant.wechat_app_id,
              "mch_id": merchant.wechat_pay_mch_id, "nonce_str": wxpay.nonce(), **params}
    return _xml({**params, "sign": wxpay.sign(params, merchant.wechat_pay_api_key, sign_type)})


def pay_api(view):
    """A pay endpoint: parse, authenticate the merchant, verify the signature, then run the view."""
    def answer():
        try:
            data = wxpay.parse_xml(request.get_data(cache=False)[:wxpay.MAX_XML_BYTES + 1])
        except wxpay.MalformedXml:
            return _fail("XML格式错误")
        merchant = sbx.merchant_for_app(db.session, data.get("appid"))
        if merchant is None or not merchant.wechat_pay_mch_id or merchant.wechat_pay_mch_id != data.get("mch_id"):
            return _fail("appid和mch_id不匹配")
        sign_type = data.get("sign_type") or "MD5"
        if sign_type not in wxpay.SIGN_TYPES or not wxpay.signature_ok(data, merchant.wechat_pay_api_key, sign_type):
            return _fail("签名错误")
        try:
            result = view(merchant, data)
        except PayError as exc:
            db.session.rollback()
            return _signed(merchant, sign_type, {"result_code": "FAIL", "err_code": exc.err_code,
                                                 "err_code_des": exc.description})
        boundary.commit_now()
        return _signed(merchant, sign_type, {"result_code": "SUCCESS", **result})

    answer.__name__ = view.__name__
    return answer


def find_prepay(session, app_id, out_trade_no):
    return session.scalars(select(SandboxGrant).where(SandboxGrant.kind.in_((PREPAY, CLOSED)),
                                                      SandboxGrant.app_id == app_id,
                                                      SandboxGrant.scope == out_trade_no)).one_or_none()


def known_prepay(merchant, data):
    """The order the request names by out_trade_no, or WeChat's ORDERNOTEXIST."""
    grant = find_prepay(db.session, merchant.wechat_app_id, data.get("out_trade_no", ""))
    if grant is None:
        raise PayError("ORDERNOTEXIST", "此交易订单号不存在")
    return grant


def prepay_details(session, prepay_id):
    row = session.scalars(select(SandboxOutbox).where(SandboxOutbox.kind == "wxpay_order",
                                                      SandboxOutbox.recipient == prepay_id)).one()
    return row.payload


def transaction_id(grant):
    return f"4200{grant.id:010d}{grant.created_at:%Y%m%d}"


def paid_fields(grant, details):
    """The fields of a paid order that the order query and the payment notification both carry."""
    return {"openid": details["openid"], "is_subscribe": "N", "trade_type": "JSAPI", "bank_type": "OTHERS",
            "total_fee": details["total_fee"], "fee_type": details["fee_type"], "cash_fee": details["total_fee"],
            "transaction_id": transaction_id(grant), "out_trade_no": grant.scope,
            "time_end": f"{grant.used_at or now_utc():%Y%m%d%H%M%S}"}
