"""Taking a payment at the till, in one transaction (services/till/quote.py prices it).

Lock order, the same everywhere: the member row, then their wallet; the referrers' rows come last (a referral
chain has no cycles, so two payments never wait on each other). The payment is re-priced under those locks, never
taken from the client. The checkout row is inserted first: its unique (merchant, idempotency key) claims the
request, and every ledger key (coupon verification, points, wallet) derives from its id, so a retried request
returns the same checkout and changes nothing.
"""
from domain import earning
from domain.clock import now_utc
from domain.errors import Conflict, DomainError, InsufficientBalance
from domain.money import format_yuan
from models.checkout import Checkout
from services.campaigns import entry as campaign_entry
from services.coupons import till_codes as coupons
from services.members import levels
from services.points import ledger as points
from services.recruitment import payments as recruitment
from services.reports import family_sales as sales_report
from services.rewards import after_payment as rewards
from services.shared import idempotency, ledger_rows, staged_changes
from services.shared.text import optional_text
from services.till import quote as base, settings as checkout_settings
from services.verification import records as verifications
from services.wallet import journal as wallet


def pay(session, merchant, actor, *, store_id, member_id, amount, tender, choice, seed, key, note=None, now=None):
    """Take the payment in one transaction: the member row, then their wallet, are locked before re-pricing, so two
    payments of one member run one after the other and the second sees what the first spent."""
    now = now or now_utc()
    idempotency.check_key(key)
    base.check_request(amount, tender)
    store = verifications.actor_store(session, actor, store_id)
    if member_id is None:
        answer = base.walk_in(amount, tender, seed)
        _refuse(answer)
        made, won = _record(session, merchant, actor, store, None, answer, tender, key, note, now)
        if won:
            _reward(session, merchant, actor, made, None, now)
            staged_changes.write_staged(session)
            session.flush()  # whatever the rewards added
            sales_report.after_payment(session, merchant, made)
        return made if won else _same(made, None, store, amount, tender)
    coupon_ids = choice.coupon_ids if choice is not None else None
    member, held, lots_due, priced = base.member_and_wallet(
        session, merchant.id, member_id, now, lock=True, coupons_for=(store.id, coupon_ids) if coupon_ids else None)
    if lots_due:  # before pricing, which offers the points the member holds now
        points.expire_member_lots(session, merchant.id, member, now, locked=True)
    context = base.context_of(session, merchant, member, store.id, amount, tender, seed, now, lock=True, held=held,
                              coupon_ids=coupon_ids, priced=priced)
    try:
        answer = base.answer_for(session, merchant, context, tender, choice, now, with_options=False)
        _refuse(answer)
    except DomainError:
        # A retry of a payment already taken is refused now (its balance or coupon is spent): answer with it.
        earlier = idempotency.find_existing(session, Checkout, merchant.id, key)
        if earlier is None:
            raise
        return _same(earlier, member, store, amount, tender)
    checkout, won = _record(session, merchant, actor, store, member, answer, tender, key, note, now)
    if not won:
        return _same(checkout, member, store, amount, tender)
    _take(session, merchant, actor, store, context, checkout, now)
    _earn(session, merchant, actor, store, context, checkout, now)
    first_visit = member.visit_count == 0
    staged_changes.stage(session, member, visit_count=member.visit_count + 1,
                     total_spend=member.total_spend + checkout.pay, last_visit_at=now)
    _upgrade(session, member)
    _reward(session, merchant, actor, checkout, member, now)
    staged_changes.write_staged(session)  # the member's counters and balance, the checkout's wallet transaction
    session.flush()  # whatever else the rewards or an upgrade added
    if member.referrer_id is not None or member.guide_id is not None:  # most payments: nothing to do, no query
        recruitment.after_till_payment(session, merchant, member, checkout, first_visit=first_visit, now=now)
    campaign_entry.after_change(session, merchant.id, member.id)
    sales_report.after_payment(session, merchant, checkout)  # last: the store's rollup row is locked till commit
    return checkout


def _same(earlier, member, store, amount, tender):
    return idempotency.ensure_same_request(earlier, member_id=member.id if member else None, store_id=store.id,
                                           amount=amount, tender=tender)


def _refuse(answer):
    """A payment that can be taken looks for no earlier one with its key: inserting its row claims the key (see
    _record), and a retry then finds the first."""
    if answer.refusal:
        raise Conflict(answer.refusal)
    if answer.balance_short:
        raise InsufficientBalance(f"余额不足，还差 ¥{format_yuan(answer.balance_short)}，请选择其他支付方式",
                                  short=answer.balance_short)


def _record(session, merchant, actor, store, member, answer, tender, key, note, now):
    """The checkout row, inserted first: it claims the key, and its id keys every ledger row that follows.
    Returns (the row, True), or (the earlier request's row, False) when one holds the key."""
    priced = answer.quote
    values = dict(merchant_id=merchant.id, member_id=member.id if member else None, store_id=store.id,
                  staff_id=verifications.staff_id_of(actor), api_key_id=verifications.api_key_id_of(actor),
                  source=verifications.source_of(actor), amount=priced.amount, discount=priced.amount - priced.pay,
                  pay=priced.pay, tender=tender, balance_paid=priced.pay if tender == "balance" else 0,
                  points_used=priced.points_used, points_earned=answer.points_to_earn,
                  coupon_code_ids=list(priced.coupon_ids), steps=[_step_json(s) for s in priced.steps],
                  state="paid", refunded_amount=0, idempotency_key=key, note=optional_text(note, "备注", 200),
                  rewards=[], created_at=now)
    written = ledger_rows.insert(session, Checkout, values)
    if written.row is None:
        return written.earlier, False
    return written.row, True


def _step_json(step):
    return {"kind": step.kind, "label": step.label, "amount": step.amount, "detail": step.detail}


def _take(session, merchant, actor, store, context, checkout, now):
    """Use the coupons (each a verification record), spend the points, debit the balance. Every key derives from the
    checkout, whose row this transaction inserted, on the member and wallet rows it locked (`locked=`)."""
    operator = verifications.operator_of(actor)
    for code_id in checkout.coupon_code_ids:
        coupons.use_priced(session, actor, context.codes[code_id], store=store,
                           method=verifications.method_of(actor), key=f"checkout:{checkout.id}:coupon:{code_id}",
                           amount_received=checkout.pay, now=now)
    if checkout.points_used:
        points.spend(session, merchant, context.member.id, checkout.points_used, key=f"checkout:{checkout.id}:spend",
                     reason="收银积分抵扣", reference=("checkout", checkout.id), operator=operator,
                     store_id=store.id, now=now, locked=context.member)
    if checkout.balance_paid:
        txn = wallet.debit(session, merchant.id, context.wallet.id, checkout.balance_paid,
                           key=f"checkout:{checkout.id}:pay", reference=("checkout", checkout.id), operator=operator,
                           store_id=store.id, note="收银消费", locked=context.wallet)
        staged_changes.stage(session, checkout, wallet_transaction_id=txn.id)


def _earn(session, merchant, actor, store, context, checkout, now):
    """The member's points for this payment, then each referrer's share of them (points kind "referral")."""
    operator = verifications.operator_of(actor)
    earned = checkout.points_earned
    if earned <= 0:
        return
    points.earn(session, merchant, context.member.id, earned, key=f"checkout:{checkout.id}:earn",
                reason="消费积分", reference=("checkout", checkout.id), operator=operator, store_id=store.id, now=now,
                locked=context.member)
    settings = context.settings
    if not settings.referral_levels:
        return
    chain = checkout_settings.referrer_chain(session, context.member, settings.referral_levels)
    shares = earning.referral_shares(earned, settings.referral_levels, settings.referral_percent)
    for depth, (referrer, share) in enumerate(zip(chain, shares), start=1):
        if share > 0:
            points.earn(session, merchant, referrer.id, share, kind="referral",
                        key=f"checkout:{checkout.id}:referral:{depth}", reason=f"{depth} 级推荐会员消费奖励",
                        reference=("checkout", checkout.id), operator=operator, store_id=store.id, now=now)


def _upgrade(session, member):
    """The level upgrade, asked of the database only when the merchant's ladder (remembered) says it is due."""
    if levels.upgrade_due(session, member):
        levels.apply_upgrade(session, member)
        session.flush()


def _reward(session, merchant, actor, checkout, member, now):
    """支付后营销 and the receipt coupon QR, last, under the member lock taken above; the receipt prints the lines."""
    given = rewards.apply(session, merchant, actor, checkout, member, now)
    if given != checkout.rewards:
        staged_changes.stage(session, checkout, rewards=given)
