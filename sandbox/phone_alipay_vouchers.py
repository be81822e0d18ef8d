"""The simulated phone's Alipay card package of vouchers (/sandbox/phone/alipay-vouchers?m=<slug>): the merchant
vouchers (商家券) the phone's current Alipay user holds from this merchant's app, with their face value, threshold,
code and state, as Alipay's 卡包 would list them."""
from flask import redirect, render_template, request, url_for
from sqlalchemy import select

from extensions import db
from models import SandboxAlipayVoucher, SandboxAlipayVoucherActivity, SandboxUser
from sandbox import alipay_vouchers, blueprint
from sandbox.phone import ALIPAY_USER_COOKIE, _merchant

STATE_LABELS = {"AVAILABLE": "可使用", "USED": "已使用"}


@blueprint.route("/phone/alipay-vouchers")
def phone_alipay_vouchers():
    merchant = _merchant(request.args.get("m"))
    if merchant is None or not merchant.alipay_app_id:
        return redirect(url_for("sandbox.phone"))
    app_id = merchant.alipay_app_id
    person = _alipay_user(app_id, request.cookies.get(ALIPAY_USER_COOKIE))
    held = []
    if person is not None:
        rows = db.session.execute(
            select(SandboxAlipayVoucher, SandboxAlipayVoucherActivity)
            .join(SandboxAlipayVoucherActivity,
                  SandboxAlipayVoucherActivity.activity_id == SandboxAlipayVoucher.activity_id)
            .where(SandboxAlipayVoucher.app_id == app_id, SandboxAlipayVoucher.user_id == person.user_key)
            .order_by(SandboxAlipayVoucher.id.desc())).all()
        held = [_face(voucher, activity) for voucher, activity in rows]
    return render_template("sandbox/alipay_vouchers.html", merchant=merchant, person=person, held=held)


def _alipay_user(app_id, user_key):
    """The phone's current Alipay user (the cookie holds their user_id, as the sandbox's auth page reads it)."""
    if not user_key:
        return None
    return db.session.scalars(select(SandboxUser).where(SandboxUser.channel == "alipay", SandboxUser.app_id == app_id,
                                                        SandboxUser.user_key == user_key[:128])).one_or_none()


def _face(voucher, activity):
    value, threshold = alipay_vouchers.face_value(activity)
    display = activity.payload.get("voucher_display_info", {})
    return {"code": voucher.voucher_code, "state": voucher.status, "state_label": STATE_LABELS[voucher.status],
            "brand_name": display.get("brand_name", ""), "name": display.get("voucher_name") or activity.activity_name,
            "description": display.get("voucher_description", ""), "value": value, "threshold": threshold,
            "stopped": activity.status != "ACTIVE"}
