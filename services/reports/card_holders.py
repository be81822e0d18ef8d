"""The holder lists of the cards report (卡券报表): members holding a live timed card (时长卡持卡会员) and gift cards
members bought in the member centre (礼品卡购买记录).

Both are read by keyset: a page is the cards after the last id shown, and an export walks the same query in
batches of BATCH rows, yielding each row as it goes, so neither ever holds the whole list (a merchant with a hundred
thousand holders streams them batch by batch; the CSV and XLSX writers write as they read). Rows are plain columns,
never ORM objects, so the session keeps nothing between batches. Phones are masked as everywhere else in the back
office (138****1234).
"""
from dataclasses import dataclass

from sqlalchemy import func, or_, select

from domain import cards as card_rules
from domain.clock import now_utc, to_local, until_text
from domain.phone import mask_mobile
from models import Card, CardTemplate, Member, Store, Wallet
from services.reports import rollups

PAGE_SIZE = 50
BATCH = 1000
LIVE_STATES = (card_rules.ACTIVE, card_rules.PENDING)
BOUGHT_CHANNEL = "purchase"


@dataclass(frozen=True)
class Page:
    items: list
    next_after: int | None  # the keyset of the next page, None on the last


@dataclass(frozen=True)
class TimedHolder:
    card_id: int
    member_id: int
    name: str
    phone: str  # masked
    card: str  # template title and tier
    state: str
    valid_until: str
    store: str  # the member's own store (所属门店)


@dataclass(frozen=True)
class GiftPurchase:
    card_id: int
    member_id: int
    buyer: str
    phone: str  # masked
    card: str
    face_value: int  # fen
    paid: int  # fen
    balance: int  # fen left on the card, wherever it went
    state: str
    bought_at: str  # merchant's local time


# --- timed-card holders ---------------------------------------------------------------------------------------------

def _timed(merchant_id, store_id, now):
    """Live timed cards (running or not yet started, not past their end, not folded into another by an extension)
    with their member, template and the member's store."""
    statement = (select(Card.id, Card.member_id, Member.name, Member.mobile, Card.template_id, CardTemplate.title,
                        Card.tier_key, Card.days, Card.state, Card.ends_at, Store.name.label("store"))
                 .join(Member, Member.id == Card.member_id)
                 .join(CardTemplate, CardTemplate.id == Card.template_id)
                 .outerjoin(Store, Store.id == Member.home_store_id)
                 .where(Card.merchant_id == merchant_id, Card.kind == card_rules.TIMED,
                        Card.state.in_(LIVE_STATES), Card.extended_into_id.is_(None),
                        or_(Card.ends_at.is_(None), Card.ends_at > now)))
    if store_id is not None:
        statement = statement.where(Member.home_store_id == store_id)
    return statement


def timed_page(session, merchant, *, store_id=None, after=0, size=PAGE_SIZE, now=None):
    rows = _page_rows(session, _timed(merchant.id, store_id, now or now_utc()), after, size)
    tiers = _tier_labels(session, merchant.id)
    return Page([_timed_holder(row, tiers, merchant.timezone) for row in rows[:size]],
                rows[size - 1].id if len(rows) > size else None)


def timed_count(session, merchant, *, store_id=None, now=None):
    return _count(session, _timed(merchant.id, store_id, now or now_utc()))


TIMED_HEADER = ["会员", "手机号", "时长卡", "状态", "有效期至", "所属门店"]


def timed_rows(session, merchant, *, store_id=None, now=None):
    """Header, then one row per holder, read batch by batch (a generator: nothing is read until it is iterated)."""
    yield TIMED_HEADER
    tiers = _tier_labels(session, merchant.id)
    for row in _walk(session, _timed(merchant.id, store_id, now or now_utc())):
        holder = _timed_holder(row, tiers, merchant.timezone)
        yield [holder.name, holder.phone, holder.card, holder.state, holder.valid_until, holder.store]


def _timed_holder(row, tiers, tz_name):
    tier = tiers.get((row.template_id, row.tier_key))
    if row.ends_at is not None:
        valid_until = until_text(row.ends_at, tz_name)
    else:
        valid_until = f"首次使用后 {row.days} 天" if row.days else "首次使用后开始"
    return TimedHolder(row.id, row.member_id, row.name or "", mask_mobile(row.mobile),
                       f"{row.title}（{tier}）" if tier else row.title,
                       card_rules.state_label(card_rules.TIMED, row.state), valid_until, row.store or "")


def _tier_labels(session, merchant_id):
    """{(template id, tier key): label} of the merchant's timed-card templates (a handful of rows)."""
    labels = {}
    for template_id, tiers in session.execute(select(CardTemplate.id, CardTemplate.tiers).where(
            CardTemplate.merchant_id == merchant_id, CardTemplate.kind == card_rules.TIMED)):
        for tier in tiers or ():
            labels[(template_id, tier.get("key"))] = tier.get("label")
    return labels


# --- gift cards bought ----------------------------------------------------------------------------------------------

def _gifts(merchant_id, tz_name, first, last):
    """Gift cards members bought in the member centre in [first, last] (local days), with the buyer, what is left
    on the card and where it is now (a card given to a friend reads 已转赠; its balance is the friend's card's)."""
    start, _ = rollups.day_window(first, tz_name)
    _, end = rollups.day_window(last, tz_name)
    return (select(Card.id, Card.member_id, Member.name, Member.mobile, CardTemplate.title, Card.face_value,
                   Card.price_paid, Card.state, Card.created_at,
                   func.coalesce(Wallet.principal + Wallet.bonus, 0).label("balance"))
            .join(Member, Member.id == Card.member_id)
            .join(CardTemplate, CardTemplate.id == Card.template_id)
            .outerjoin(Wallet, Wallet.id == Card.wallet_id)
            .where(Card.merchant_id == merchant_id, Card.kind == card_rules.GIFT, Card.channel == BOUGHT_CHANNEL,
                   Card.batch_id.is_(None), Card.created_at >= start, Card.created_at < end))


def gift_page(session, merchant, period, *, after=0, size=PAGE_SIZE):
    rows = _page_rows(session, _gifts(merchant.id, merchant.timezone, period.first, period.last), after, size)
    return Page([_purchase(row, merchant.timezone) for row in rows[:size]],
                rows[size - 1].id if len(rows) > size else None)


def gift_count(session, merchant, period):
    return _count(session, _gifts(merchant.id, merchant.timezone, period.first, period.last))


GIFT_HEADER = ["购买人", "手机号", "礼品卡", "面值", "实付金额", "剩余余额", "状态", "购买时间"]


def gift_rows(session, merchant, period, money):
    """Header, then one row per card bought, read batch by batch; `money` formats fen for the file."""
    yield GIFT_HEADER
    for row in _walk(session, _gifts(merchant.id, merchant.timezone, period.first, period.last)):
        bought = _purchase(row, merchant.timezone)
        yield [bought.buyer, bought.phone, bought.card, money(bought.face_value), money(bought.paid),
               money(bought.balance), bought.state, bought.bought_at]


def _purchase(row, tz_name):
    return GiftPurchase(row.id, row.member_id, row.name or "", mask_mobile(row.mobile), row.title,
                        row.face_value or 0, row.price_paid or 0, int(row.balance or 0),
                        card_rules.state_label(card_rules.GIFT, row.state),
                        f"{to_local(row.created_at, tz_name):%Y-%m-%d %H:%M}")


# --- keyset reading -------------------------------------------------------------------------------------------------

def _page_rows(session, statement, after, size):
    """One more row than the page, so the page knows whether another follows."""
    return session.execute(statement.where(Card.id > after).order_by(Card.id).limit(size + 1)).all()


def _walk(session, statement, batch=BATCH):
    """Every row of `statement` in id order, `batch` at a time; only one batch is in memory at once."""
    after = 0
    while True:
        rows = session.execute(statement.where(Card.id > after).order_by(Card.id).limit(batch)).all()
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1].id


def _count(session, statement):
    return session.scalar(select(func.count()).select_from(statement.subquery()))
