"""The member's orders: the list and one order's detail (where Alipay's return_url lands after paying)."""
from flask import g, render_template, request
from sqlalchemy import select

from domain import orders as order_rules
from extensions import db
from member_h5 import blueprint
from member_h5.common import member_required
from models import CouponTemplate, Order
from services.orders import orders as order_service, refunds
from services.wallet import topup_nudge
from services.shared.tenancy import scoped

# A created order's page reloads itself this many times while the channel's notification is on its way.
REFRESHES = 5
REFRESH_SECONDS = 3


@blueprint.route("/orders")
@member_required
def orders_list():
    rows = db.session.scalars(scoped(Order, g.merchant.id).where(Order.member_id == g.member.id)
                              .order_by(Order.created_at.desc(), Order.id.desc()).limit(100)).all()
    return render_template("member_h5/orders/list.html", orders=rows, state_labels=order_rules.STATE_LABELS,
                           kind_labels=order_rules.KIND_LABELS)


@blueprint.route("/orders/<int:order_id>")
@member_required
def order_detail(order_id):
    order = order_service.member_order(db.session, g.merchant.id, g.member.id, order_id)
    seen = request.args.get("n", "0")
    seen = int(seen) if seen.isdigit() else REFRESHES
    refresh = order.state == order_rules.CREATED and seen < REFRESHES
    nudge = _nudge(order)
    return render_template("member_h5/orders/detail.html", order=order, items=order.items or {},
                           coupon_titles=_coupon_titles(order), state_labels=order_rules.STATE_LABELS,
                           kind_labels=order_rules.KIND_LABELS, channel_labels=order_rules.ORDER_CHANNEL_LABELS,
                           refresh=refresh, next_n=seen + 1, refresh_seconds=REFRESH_SECONDS,
                           refund_list=refunds.refunds_of(db.session, g.merchant.id, order.id), nudge=nudge)


def _nudge(order):
    """After a purchase that was not itself a top-up: the top-up offer, as the merchant's setting says."""
    if order.kind == "topup" or order.state != order_rules.FULFILLED:
        return None
    nudge = topup_nudge.offer(db.session, g.merchant, g.member)
    return nudge


def _coupon_titles(order):
    ids = {entry["template_id"] for entry in (order.items or {}).get("coupons", ())}
    if not ids:
        return {}
    return dict(db.session.execute(select(CouponTemplate.id, CouponTemplate.title).where(
        CouponTemplate.merchant_id == g.merchant.id, CouponTemplate.id.in_(ids))).all())
