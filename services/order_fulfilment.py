"""What each kind of paid order gives the member. Every change carries a key derived from the order, so a
fulfilment that runs again (a retried job, a second notification that slipped through) changes nothing."""
from domain.errors import DomainError
from services import benefit_cards, cards, coupons, gift_cards, points, wallet


def _key(order, *parts):
    return ":".join(["order", str(order.id), *map(str, parts)])


def topup(session, merchant, order, now):
    """Principal (what was paid) and bonus (what the tier gives) to the member's wallet, then the tier's gifts."""
    items = order.items
    purse = wallet.member_wallet(session, merchant.id, order.member_id)
    txn = wallet.credit(session, merchant.id, purse.id, items["principal"], items.get("bonus", 0),
                        key=_key(order, "topup"), reference=("order", order.id), note="在线充值",
                        store_id=order.store_id)
    member = order.member
    member.total_topup = (member.total_topup or 0) + items["principal"]
    granted, missed = _grant_coupons(session, merchant, order, now)
    issued = {"wallet_transaction_id": txn.id, "coupon_code_ids": granted}
    if missed:
        issued["coupons_not_granted"] = missed
    if items.get("points"):
        points.earn(session, merchant, order.member_id, items["points"], key=_key(order, "points"),
                    reference=("order", order.id), reason="充值赠送积分")
    return issued


def _grant_coupons(session, merchant, order, now):
    """The tier's coupons. One that can no longer be given (stopped, out of stock, the member's limit reached
    since the order was priced) is skipped and noted: the money is paid and the balance must still arrive."""
    granted, missed = [], []
    for entry in order.items.get("coupons", ()):
        for n in range(entry["count"]):
            try:
                with session.begin_nested():
                    code = coupons.claim(session, merchant, entry["template_id"], order.member_id,
                                         channel="purchase", key=_key(order, "coupon", entry["template_id"], n),
                                         now=now)
                granted.append(code.id)
            except DomainError as exc:
                missed.append({"template_id": entry["template_id"], "reason": exc.message})
    return granted, missed


def gift_cards_bought(session, merchant, order, now):
    items = order.items
    ids = [gift_cards.issue_electronic(session, merchant, items["template_id"], order.member_id,
                                       face_value=items["face_value"], theme=items.get("theme"), channel="purchase",
                                       key=_key(order, "gift", n), price_paid=items["unit_price"], now=now).id
           for n in range(items["quantity"])]
    return {"card_ids": ids}


def card(session, merchant, order, now):
    items = order.items
    issued = cards.issue(session, merchant, items["template_id"], order.member_id, channel="purchase",
                         key=_key(order, "card"), tier_key=items.get("tier_key"), price_paid=order.amount, now=now)
    return {"card_id": issued.id}


def benefit_card(session, merchant, order, now):
    issued = benefit_cards.issue(session, merchant, order.items["template_id"], order.member_id, channel="purchase",
                                 key=_key(order, "benefit"), price_paid=order.amount, now=now)
    return {"card_id": issued.id}


def coupons_bought(session, merchant, order, now):
    items = order.items
    ids = [coupons.claim(session, merchant, items["template_id"], order.member_id, channel="purchase",
                         key=_key(order, "coupon", n), now=now).id for n in range(items["quantity"])]
    return {"coupon_code_ids": ids}
