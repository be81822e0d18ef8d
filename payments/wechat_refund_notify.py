"""WeChat Pay's refund result notification: /payments/wechat/refund-notify/<merchant_slug>.

Read, admitted and answered as a payment notification is (payments/wechat.py: 16 KB at most, the merchant's rate
limit, kept in full only once verified, SUCCESS or FAIL); what it says is decrypted (which is its verification),
checked against our refund and settled by services.orders.wechat_refund_notifications.
"""
from payments import blueprint
from payments.wechat import answer_notification
from services.orders import wechat_refund_notifications


@blueprint.route("/wechat/refund-notify/<merchant_slug>", methods=["POST"])
def wechat_refund_notify(merchant_slug):
    return answer_notification(merchant_slug, wechat_refund_notifications, "wechat_refund")
