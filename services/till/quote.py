"""The till's quote: identify a member and price what they pay (domain/pricing.py).

The quote is built here from the database (level, best benefit card, 储值折上折 when paying by balance, the
coupons usable in this store now, points and the merchant's settings). services/till/payment.py re-prices with
the same reads under its locks; services/till/checkout.py is the till's public face.
"""
import re
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, literal, select, true

from domain import earning, pricing
from domain.clock import local_today, now_utc
from domain.errors import DomainError, NotFound
from models import Member, MemberIdentity, PointsLot, Wallet
from models.checkout import TENDERS
from services.alipay_cards import opening as alipay_card_opening
from services.cards import benefit_in_force as benefit_cards, physical as member_cards
from services.coupons import till_codes as coupons
from services.members import levels, members, qr as member_qr
from services.shared import direct_sql, plain_rows
from services.shared.tenancy import checked_id, get_owned
from services.till import settings as checkout_settings
from services.verification import records as verifications
from services.wallet import balance_discount
from services.wechat_cards import activation as wechat_card_activation

MOBILE = re.compile(r"^1\d{10}$")
MAX_OPTIONS = 12


@dataclass(frozen=True)
class CheckoutQuote:
    member: Member | None
    quote: pricing.Quote
    options: tuple
    balance: int
    points: int
    level_name: str
    refusal: str | None
    balance_short: int
    points_to_earn: int


@dataclass(frozen=True)
class Context:
    """What the pricing and earning of one member's payment read from the database."""

    member: Member
    wallet: Wallet | None
    card_lost: bool
    settings: object
    benefits: object
    level: object
    inp: pricing.PricingInput
    codes: dict  # the member's usable coupons priced here (plain rows), by id: paying uses them as they are


def identify(session, merchant, text, now=None):
    """(member, refusal) for a scanned member QR token, an 11-digit mobile, the code of the member's WeChat card,
    the number of their Alipay card or a physical card number.

    A lost or returned card still names its member, so the cashier is told why it fails rather than "not found".
    """
    text = (text or "").strip()
    if not text:
        raise DomainError("请扫描会员码或输入手机号、卡号")
    if MOBILE.match(text):
        member = members.find_by_mobile(session, merchant.id, text)
        if member is None:
            raise NotFound("该手机号不是会员")
    elif "." in text:  # a signed member QR token (payload.signature); card numbers have no dots
        member = member_qr.resolve(session, merchant.id, text, now)
    elif (member := wechat_card_activation.member_of_code(session, merchant.id, text)) is None and \
            (member := alipay_card_opening.member_of_card_no(session, merchant.id, text)) is None:
        # Not the code of a member's WeChat or Alipay card (shown in the card package): a physical card number.
        member, state = member_cards.number_status(session, merchant.id, text)
        if state != "active":
            return member, f"该卡{member_cards.STATUS_LABELS[state]}，不能使用"
    return member, _refusal(member, *wallet_of(session, member))


def quote(session, merchant, actor, *, store_id, member_id, amount, tender, choice=None, seed, now=None):
    """What the member would pay now, the cheapest way unless the cashier picked `choice`, and the other ways."""
    now = now or now_utc()
    check_request(amount, tender)
    store = verifications.actor_store(session, actor, store_id)
    if member_id is None:
        return walk_in(amount, tender, seed)
    member, held, _, priced = member_and_wallet(session, merchant.id, member_id, now, coupons_for=(store.id, None))
    context = context_of(session, merchant, member, store.id, amount, tender, seed, now, held=held, priced=priced)
    return answer_for(session, merchant, context, tender, choice, now)


def check_request(amount, tender):
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount <= pricing.MAX_AMOUNT:
        raise DomainError("消费金额须大于 0")
    if tender not in TENDERS:
        raise DomainError("未知的支付方式")


def walk_in(amount, tender, seed):
    """A customer without membership pays the amount: no discounts, no points, no balance."""
    priced = pricing.price(pricing.PricingInput(amount=amount, seed=seed or ""), pricing.Choice(use_level=False))
    refusal = "非会员不能使用储值余额" if tender == "balance" else None
    return CheckoutQuote(None, priced, (), 0, 0, "", refusal, amount if tender == "balance" else 0, 0)


def context_of(session, merchant, member, store_id, amount, tender, seed, now, lock=False, held=None,
               coupon_ids=None, priced=None):
    """What pricing and earning read of the member and the merchant; `lock` locks the wallet (paying). `held`:
    (wallet, card lost) as member_and_wallet read them with the member. `coupon_ids`: the coupons of the chosen
    combination, the only ones a payment of it reads (None: every usable coupon, to find the best). `priced`: those
    coupons' rows as member_and_wallet read them with the member (None: read them here)."""
    purse, card_lost = held if held is not None else wallet_of(session, member, lock=lock)
    usable = (coupons.usable_now(priced, now, merchant.timezone) if priced is not None else
              coupons.usable_by_member(session, merchant, member.id, store_id, now,
                                       ids=coupon_ids))
    codes = {row.id: row for row in usable}
    balance = purse.principal + purse.bonus if purse is not None else 0
    settings = checkout_settings.till_settings(session, merchant.id)
    benefits = benefit_cards.active_benefits(session, member, now, store_id)
    level = levels.facts_of(session, member)
    rate = balance_discount.rate_today(session, merchant, balance, now) if tender == "balance" else None
    inp = pricing.PricingInput(
        amount=amount, level_name=level.name if level else "",
        level_discount_percent=level.discount_percent if level else 100,
        benefit_name="权益卡", benefit_discount_percent=benefits.discount_percent or 100,
        balance_discount_percent=rate or 100, points_available=member.points_balance,
        points_per_yuan=settings.points_per_yuan, points_max_percent=settings.points_max_percent,
        coupons=_offers(codes),
        sharing=pricing.SharingRules(settings.level_with_coupons, settings.level_with_points,
                                     settings.coupons_with_points, settings.multiple_coupons),
        random_min=settings.random_min, random_max=settings.random_max,
        seed=seed or order_seed(merchant, store_id, member, amount, now))
    return Context(member, purse, card_lost, settings, benefits, level, inp, codes)


def order_seed(merchant, store_id, member, amount, now):
    """The 随机立减 draw's seed when the till sends none: the order's own facts (store, member, amount, the local
    day and the member's visit count, which every payment moves on), so quoting again cannot draw again, while
    the member's next purchase draws anew. A POS that has its own order number sends that as `seed` instead."""
    day = local_today(merchant.timezone, now)
    return f"{merchant.id}:{store_id}:{member.id}:{amount}:{day.isoformat()}:{member.visit_count}"


def _offers(codes):
    return tuple(pricing.CouponOffer(row.id, row.kind, row.title, row.amount_off or 0, row.discount_percent,
                                     row.discount_cap, row.min_spend or 0) for row in codes.values())


def answer_for(session, merchant, context, tender, choice, now, with_options=True):
    """The quote of `choice` (None: the best for the member) and, `with_options`, the other ways to pay (a payment
    taking a chosen combination needs neither the search nor the list)."""
    inp = context.inp
    found = pricing.best(inp) if choice is None or with_options else None
    priced = found if choice is None else pricing.price(inp, choice)
    balance = inp_balance(context)
    short = max(priced.pay - balance, 0) if tender == "balance" else 0
    options = tuple((c, pay, describe(inp, c)) for c, pay in sorted(found.alternatives, key=lambda a: a[1])
                    [:MAX_OPTIONS]) if with_options else ()
    earned = points_for(session, merchant, context, priced.pay, priced.pay if tender == "balance" else 0, now)
    return CheckoutQuote(context.member, priced, options, balance, context.member.points_balance,
                         context.level.name if context.level else "", _refusal(context.member, context.wallet,
                                                                                  context.card_lost),
                         short, earned)


def inp_balance(context):
    return context.wallet.principal + context.wallet.bonus if context.wallet is not None else 0


def describe(inp, choice):
    """The cashier's words for a combination: '会员折扣 + 满100减20 + 积分 200 分'."""
    titles = {c.code_id: c.title for c in inp.coupons}
    parts = [inp.level_name + "折扣"] if choice.use_level and inp.level_discount_percent < 100 else []
    parts += [titles.get(code_id, "优惠券") for code_id in choice.coupon_ids]
    parts += [f"积分 {choice.points} 分"] if choice.points else []
    return " + ".join(parts) or "不使用会员优惠"


def points_for(session, merchant, context, pay, balance_paid, now):
    """Points this payment earns: the base the merchant chose, times the level's, the day's and the card's rates."""
    settings = context.settings
    day_tenths, _ = earning.day_multiplier(checkout_settings.till_days(session, merchant.id),
                                           local_today(merchant.timezone, now))
    base = earning.earn_base(base=settings.earn_base, amount=context.inp.amount, pay=pay, balance_paid=balance_paid)
    return earning.points_earned(base_fen=base, earn_per_yuan=settings.earn_per_yuan,
                                 level_tenths=context.level.points_multiplier_tenths if context.level else 10,
                                 day_tenths=day_tenths, benefit_percent=context.benefits.points_multiplier or 100,
                                 compound=settings.multipliers_compound)


def member_and_wallet(session, merchant_id, member_id, now, lock=False, coupons_for=None):
    """(member, (their wallet or None, whether their physical card is lost), whether points lots are due to expire,
    their priced coupons or None) in one statement when they have a wallet. `lock` (paying) locks the member row,
    then the wallet row: the lock order everywhere. `coupons_for`: (store id, the coupon ids wanted, or None for
    all) also reads the member's coupons that take money off (coupons.priced_codes), for context_of; None: not
    read. Another merchant's member is NotFound.

    A payment reads its coupons here only when the cashier chose them: the coupon rows of a statement that waited
    for the member's lock are as they were when it began, so a coupon the member's other payment used meanwhile
    is then refused when used (the payment could not have it anyway), where the best choice is found afresh."""
    member_id = checked_id(member_id)
    among = None if coupons_for is None else coupons_for[1] is not None
    params = {"merchant_id": merchant_id, "member_id": member_id, "now": now}
    if coupons_for is not None:
        params.update(store_id=coupons_for[0], ids=list(coupons_for[1] or ()))
    session.flush()  # as a query's autoflush would: the plain statement below does not
    rows = direct_sql.rows(session.connection(), _member_and_wallet_query(lock, among), params)
    if rows:
        first = rows[0]
        member = plain_rows.loaded(session, Member, dict(zip(_MEMBER_KEYS, first[:_WALLET_AT])))
        purse = first[_WALLET_AT:_FACTS_AT]
        purse = None if purse[0] is None else plain_rows.loaded(session, Wallet, dict(zip(_WALLET_KEYS, purse)))
        card_lost, lots_due = first[_FACTS_AT:_CODES_AT]
        codes = None if among is None else [coupons.PricedCode(*row[_CODES_AT:]) for row in rows
                                            if row[_CODES_AT] is not None]
        return member, (purse, card_lost), lots_due, codes
    member = get_owned(session, Member, merchant_id, member_id, lock=lock)
    lots_due = lock and session.scalar(select(_lots_due(member.id, now)))
    return member, wallet_of(session, member, lock=lock), lots_due, None


_MEMBER_KEYS = tuple(column.key for column in Member.__table__.columns)
_WALLET_KEYS = tuple(column.key for column in Wallet.__table__.columns)
_WALLET_AT = len(_MEMBER_KEYS)  # where each part of a row of _member_and_wallet_query begins
_FACTS_AT = _WALLET_AT + len(_WALLET_KEYS)
_CODES_AT = _FACTS_AT + 2


def _member_and_wallet_query(lock, among):
    """Built once per kind (every quote and payment runs one), of plain columns (direct_sql runs it; the rows
    become the member and wallet objects). `among`: None (no coupons), False (all the member's priced coupons) or
    True (those of the ids given)."""
    query = _MEMBER_AND_WALLET.get((lock, among))
    if query is not None:
        return query
    members, wallets = Member.__table__, Wallet.__table__
    on_wallet = and_(wallets.c.member_id == members.c.id, wallets.c.merchant_id == members.c.merchant_id,
                     wallets.c.kind == "member")
    lots_due = _lots_due(members.c.id, bindparam("now")) if lock else literal(False)
    query = (select(*members.c, *wallets.c, _card_lost(members.c.id), lots_due)
             .select_from(members).join(wallets, on_wallet, isouter=not lock)
             .where(members.c.merchant_id == bindparam("merchant_id"), members.c.id == bindparam("member_id")))
    if among is not None:  # one row per coupon (or one with none): the member and wallet repeat
        priced = coupons.priced_codes(among).subquery("priced")
        query = query.add_columns(*priced.c).outerjoin(priced, true()).order_by(priced.c.id)
    if lock:  # FOR UPDATE cannot reach the outer side of a join: a member without a wallet is read apart
        query = query.with_for_update(of=[members, wallets])
    _MEMBER_AND_WALLET[(lock, among)] = query
    return query


def wallet_of(session, member, lock=False):
    """(the member's wallet or None when they never had one, whether their physical card is lost), in one statement
    when they have a wallet; `lock` locks the wallet (a quote does not create it)."""
    lost = _card_lost(member.id)
    query = select(Wallet, lost).where(Wallet.merchant_id == member.merchant_id, Wallet.member_id == member.id,
                                       Wallet.kind == "member")
    if lock:
        query = query.with_for_update(of=Wallet).execution_options(populate_existing=True)
    row = session.execute(query).one_or_none()
    if row is not None:
        return row[0], row[1]
    return None, session.scalar(select(lost))


def _card_lost(member_id):
    return select(MemberIdentity.id).where(
        MemberIdentity.member_id == member_id, MemberIdentity.kind == "card_no", MemberIdentity.lost_at.is_not(None),
        MemberIdentity.closed_at.is_(None)).exists()


def _lots_due(member_id, now):
    return select(PointsLot.id).where(PointsLot.member_id == member_id, PointsLot.remaining > 0,
                                      PointsLot.expires_at <= now).exists()


_MEMBER_AND_WALLET = {}  # (lock, among) -> the statement


def _refusal(member, purse, card_lost):
    """Why this member cannot pay at the till now, or None."""
    if member.status != "active":
        return "该会员已停用，不能消费"
    if card_lost:
        return "该会员的实体卡已挂失，请先补卡"
    if purse is not None and purse.frozen:
        return "该会员的储值账户已冻结，不能消费"
    return None
