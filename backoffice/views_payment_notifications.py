"""支付通知: what WeChat Pay and Alipay sent the merchant's notification URLs. Verified notifications are listed
as kept (with their outcome and body); what was refused unverified (forged, junk, too large, over the rate) is
shown as daily counts with the latest sample, which is all that is kept of it (payments/intake.py)."""
from flask import render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from backoffice import blueprint
from backoffice.common import merchant_id, requires
from domain.clock import local_today
from extensions import db
from models import PaymentNotification
from services.orders import notification_rejects
from services.shared.tenancy import scoped

SHOWN = 50
DAYS = 7
ENDPOINT_LABELS = {"wechat_pay": _l("微信支付"), "wechat_refund": _l("微信退款"), "alipay": _l("支付宝")}
REASON_LABELS = {"unknown_merchant": _l("商户不存在"), "rate_limited": _l("超过频率限制"), "too_large": _l("报文过大"),
                 "malformed": _l("报文格式错误"), "bad_signature": _l("签名无效"), "crashed": _l("处理异常")}
OUTCOME_LABELS = {"accepted": _l("已入账"), "duplicate": _l("重复通知"), "bad_signature": _l("签名无效"),
                  "unknown_order": _l("订单不存在"), "mismatch": _l("与订单不符"), "not_paid": _l("未支付"),
                  "error": _l("处理失败")}


@blueprint.route("/orders/notifications")
@requires("audit.view")
def payment_notifications():
    today = local_today(current_user.merchant.timezone)
    rejected = notification_rejects.recent(db.session, merchant_id(), today, days=DAYS)
    kept = db.session.scalars(scoped(PaymentNotification, merchant_id())
                              .order_by(PaymentNotification.id.desc()).limit(SHOWN)).all()
    return render_template("backoffice/orders/notifications.html", rejected=rejected, kept=kept, days=DAYS,
                           shown=SHOWN, endpoint_labels=ENDPOINT_LABELS, reason_labels=REASON_LABELS,
                           outcome_labels=OUTCOME_LABELS)
