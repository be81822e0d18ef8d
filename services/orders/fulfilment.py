"""What each kind of paid order gives the member. Every change carries a key derived from the order, so a
fulfilment that runs again (a retried job, a second notification that slipped through) changes nothing."""
from domain.errors import DomainError
from services.campaigns import entry as campaign_entry
from services.cards import benefit_issue, count_timed_issue, gift_issue
from services.coupons import issue as coupon_issue
from services.members import levels
from services.points import ledger as points
from services.wallet import journal as wallet


def _key(order, *parts):
    return ":".join(["order", str(order.id), *map(str, parts)])


def topup(session, merchant, order, now):
    """Principal (what was paid) and bonus (what the tier gives) to the member's wallet, then the tier's gifts."""
    items = order.items
    # Member row before wallet row: the order every path that touches both takes its locks in.
    _count_topup(session, merchant, order)
    purse = wallet.member_wallet(session, merchant.id, order.member_id)
    txn = wallet.credit(session, merchant.id, purse.id, items["principal"], items.get("bonus", 0),
                        key=_key(order, "topup"), reference=("order", order.id),
                        note="门店充值" if items.get("counter") else "在线充值",
                        store_id=order.store_id)
    granted, missed = _grant_coupons(session, merchant, order, now)
    issued = {"wallet_transaction_id": txn.id, "coupon_code_ids": granted}
    if missed:
        issued["coupons_not_granted"] = missed
    if items.get("points"):
        points.earn(session, merchant, order.member_id, items["points"], key=_key(order, "points"),
                    reference=("order", order.id), reason="充值赠送积分")
    campaign_entry.after_change(session, merchant.id, order.member_id)
    return issued


def _count_topup(session, merchant, order):
    """Cumulative top-up and the tier's growth, under the member's row lock, then any level they now reach."""
    member = points.lock_member(session, merchant.id, order.member_id)
    member.total_topup = (member.total_topup or 0) + order.items["principal"]
    member.growth = (member.growth or 0) + order.items.get("growth", 0)
    session.flush()
    levels.apply_upgrade(session, member)


def _grant_coupons(session, merchant, order, now):
    """The tier's coupons. One that can no longer be given (stopped, out of stock, the member's limit reached
    since the order was priced) is skipped and noted: the money is paid and the balance must still arrive."""
    granted, missed = [], []
    for entry in order.items.get("coupons", ()):
        for n in range(entry["count"]):
            try:
                with session.begin_nested():
                    code = coupon_issue.claim(session, merchant, entry["template_id"], order.member_id,
                                              channel="purchase", key=_key(order, "coupon", entry["template_id"], n),
                                              now=now)
                granted.append(code.id)
            except DomainError as exc:
                missed.append({"template_id": entry["template_id"], "reason": exc.message})
    return granted, missed


def gift_cards_bought(session, merchant, order, now):
    """Every card of every line, active and all principal (sold at face value, so the whole balance was paid).

    The stock was reserved when the order was created (services/orders/gift_card_sales); each card's key is the
    order, the line and the card's place in it, so a second run returns the same cards.
    """
    items, issued = order.items, []
    for line_no, line in enumerate(items["lines"]):
        for n in range(line["quantity"]):
            card = gift_issue.issue_electronic(session, merchant, items["template_id"], order.member_id,
                                               face_value=line["face_value"], theme=items.get("theme"),
                                               channel="purchase", key=_key(order, "gift", line_no, n),
                                               price_paid=line["face_value"], stock_reserved=True, now=now)
            issued.append({"id": card.id, "face_value": card.face_value})
    return {"card_ids": [entry["id"] for entry in issued], "cards": issued}


def card(session, merchant, order, now):
    """The count or timed card bought, from the stock the order reserved. `shown_card_id` is the card the member
    holds: the purchase row itself, or for a timed card that extended one already held, the card it lengthened."""
    items = order.items
    issued = count_timed_issue.issue(session, merchant, items["template_id"], order.member_id, channel="purchase",
                                     key=_key(order, "card"), tier_key=items.get("tier_key"), price_paid=order.amount,
                                     stock_reserved=True, now=now)
    return {"card_id": issued.id, "shown_card_id": issued.extended_into_id or issued.id,
            "extended": issued.extended_into_id is not None}


def benefit_card(session, merchant, order, now):
    """The benefit card bought (and its gift pack), from the stock the order reserved."""
    issued = benefit_issue.issue(session, merchant, order.items["template_id"], order.member_id, channel="purchase",
                                 key=_key(order, "benefit"), price_paid=order.amount, stock_reserved=True, now=now)
    return {"card_id": issued.id}


def coupons_bought(session, merchant, order, now):
    """`quantity` codes, from the stock the order reserved and already counted against the member's limit."""
    items = order.items
    ids = [coupon_issue.claim(session, merchant, items["template_id"], order.member_id, channel="purchase",
                              key=_key(order, "coupon", n), stock_reserved=True, now=now).id
           for n in range(items["quantity"])]
    return {"coupon_code_ids": ids}
