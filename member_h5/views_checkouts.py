"""The member's 消费记录: their checkouts (at the till, by API or self-pay), newest first, and each one's receipt
(only their own: anyone else's is a 404).

Spending from the stored-value balance that did not go through a checkout (a balance debit booked by staff or
imported, "门店消费" in 余额明细) is listed too, without a receipt, so 消费记录 never reads empty while 余额明细
shows a purchase.
"""
from dataclasses import dataclass
from datetime import datetime

from flask import g, render_template

from extensions import db
from member_h5 import blueprint
from member_h5.common import member_required
from models.checkout import TENDER_LABELS
from services.till import self_pay
from services.wallet import journal as wallet

SHOWN = 100


@dataclass(frozen=True)
class Spend:
    """One line of 消费记录: a checkout (with a receipt) or a balance spend outside the till (without one)."""
    created_at: datetime
    store_name: str
    pay: int  # fen
    method: str
    refunded: bool = False
    checkout_id: int | None = None
    note: str | None = None


def _spends_of(session, merchant_id, member_id):
    checkouts = self_pay.member_checkouts(session, merchant_id, member_id, limit=SHOWN)
    rows = [Spend(c.created_at, c.store.name if c.store else "", c.pay, TENDER_LABELS.get(c.tender, c.tender),
                  refunded=c.state == "refunded", checkout_id=c.id) for c in checkouts]
    purse = wallet.member_wallet(session, merchant_id, member_id)
    rows += [Spend(t.created_at, t.store.name if t.store else "", -t.amount, "储值余额", note=t.note)
             for t in wallet.journal_of(session, merchant_id, purse.id, limit=SHOWN)
             if t.kind == "debit" and t.reference_type != "checkout" and t.amount < 0]
    return sorted(rows, key=lambda r: r.created_at, reverse=True)[:SHOWN]


@blueprint.route("/checkouts")
@member_required
def my_checkouts():
    return render_template("member_h5/self_pay/list.html", rows=_spends_of(db.session, g.merchant.id, g.member.id))


@blueprint.route("/checkouts/<int:checkout_id>")
@member_required
def my_checkout(checkout_id):
    data = self_pay.member_receipt(db.session, g.merchant.id, g.member.id, checkout_id)  # NotFound: the 404 page
    return render_template("member_h5/self_pay/receipt.html", r=data, tenders=TENDER_LABELS)
