"""The member's 消费记录: their checkouts (at the till, by API or self-pay), newest first, and each one's receipt
(only their own: anyone else's is a 404)."""
from flask import g, render_template

from extensions import db
from member_h5 import blueprint
from member_h5.common import member_required
from models.checkout import TENDER_LABELS
from services.till import self_pay


@blueprint.route("/checkouts")
@member_required
def my_checkouts():
    rows = self_pay.member_checkouts(db.session, g.merchant.id, g.member.id)
    return render_template("member_h5/self_pay/list.html", rows=rows, tenders=TENDER_LABELS)


@blueprint.route("/checkouts/<int:checkout_id>")
@member_required
def my_checkout(checkout_id):
    data = self_pay.member_receipt(db.session, g.merchant.id, g.member.id, checkout_id)  # NotFound: the 404 page
    return render_template("member_h5/self_pay/receipt.html", r=data, tenders=TENDER_LABELS)
