"""A member's timeline (会员360): one list, newest first, of everything that happened to them — payments at the
till, paid orders (top-ups and purchases), refunds, points, verifications, rewards, messages received, level
changes, referrals and guide changes — filterable by kind and local date, paged by offset.

One UNION ALL query: each kind is a small SELECT over its own table, scoped to the merchant and the member, with
the same columns (time, kind, record id, amount in fen, store, staff and two short detail fields). Only the kinds
asked for are put in the union, and each part is already limited to the page's end, so a member with years of
history still reads a few hundred rows at most. The sentence of each row is written here, in Chinese, from the
detail fields; names of stores and staff are read once per page."""
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.orm import aliased

from domain import orders as order_rules
from domain.clock import local_midnight_utc
from domain.errors import DomainError
from domain.recruitment import ATTRIBUTION_EVENT_LABELS, GUIDE_CHANGE_LABELS
from domain.referrals import REFERRAL_EVENT_LABELS, REFERRAL_OUTCOME_LABELS
from models import (Attribution, CardRefund, Checkout, CheckoutRefund, GuideChange, Level, LevelChange,
                    NoticeDelivery, Order, OrderRefund, PointsTransaction, ReferralReward, RewardGrant, RewardRule,
                    Send, SendRecipient, Staff, Store, Verification)
from models.checkout import TENDER_LABELS
from models.points import POINTS_KIND_LABELS
from services.shared.tenancy import merchant_timezone

_NULL = sa.null()

KIND_LABELS = {
    "payment": "消费", "order": "订单", "refund": "退款", "points": "积分", "verification": "核销",
    "reward": "奖励", "message": "消息", "level": "等级", "referral": "推荐", "guide": "导购",
}
KINDS = tuple(KIND_LABELS)
PER_PAGE = 20
MAX_PAGE = 500  # deeper than any merchant reads; keeps OFFSET bounded
NOTICE_LABELS = {"points_changed": "积分变动提醒", "balance_changed": "余额变动提醒", "level_up": "升级提醒",
                 "coupon_received": "到券提醒"}
SEND_CHANNEL_WORDS = {"wechat": "微信", "alipay": "支付宝生活号", "sms": "短信"}
LEVEL_REASON_WORDS = {"auto": "自动升级", "manual": "手动调整", "join": "入会", "paid": "开通付费会员",
                      "paid_expiry": "付费会员到期", "paid_refund": "付费会员退款"}


class TimelineRefused(DomainError):
    """A filter the timeline cannot use (an unknown kind, a date range backwards)."""


@dataclass(frozen=True)
class Filters:
    kinds: tuple = KINDS
    day_from: object = None  # date, local, inclusive
    day_to: object = None  # date, local, inclusive

    def checked(self):
        unknown = [k for k in self.kinds if k not in KIND_LABELS]
        if unknown or not self.kinds:
            raise TimelineRefused("记录类型无效")
        if self.day_from and self.day_to and self.day_from > self.day_to:
            raise TimelineRefused("开始日期不能晚于结束日期")
        return self


@dataclass(frozen=True)
class Row:
    at: object  # UTC; the page shows it in the merchant's timezone
    kind: str
    kind_label: str
    sentence: str
    amount: int | None  # fen, signed where money went back; None when the row has no money
    points: int | None
    store: str
    staff: str
    link: tuple | None  # (what, id): "checkout", "order", "send" — the entry point turns it into a URL


@dataclass(frozen=True)
class Page:
    rows: list
    page: int
    has_next: bool


def page_of(session, merchant_id, member_id, filters=None, page=1, per_page=PER_PAGE):
    """One page of the member's timeline, newest first."""
    filters = (filters or Filters()).checked()
    page = min(max(int(page), 1), MAX_PAGE)
    start, end = _bounds(session, merchant_id, filters)
    wanted = page * per_page + 1
    parts = [part.limit(wanted) for kind in filters.kinds for part in _PARTS[kind](merchant_id, member_id, start, end)]
    union = sa.union_all(*[select(part.subquery()) for part in parts]).subquery("timeline")
    raw = session.execute(select(union).order_by(union.c.at.desc(), union.c.kind, union.c.ref_id.desc())
                          .offset((page - 1) * per_page).limit(per_page + 1)).all()
    has_next = len(raw) > per_page
    raw = raw[:per_page]
    names = _names(session, merchant_id, raw)
    return Page(rows=[_row(r, names) for r in raw], page=page, has_next=has_next)


def latest(session, merchant_id, member_id, count=PER_PAGE):
    """The member's last `count` events of every kind (the staff page's short list)."""
    return page_of(session, merchant_id, member_id, page=1, per_page=count).rows


def _bounds(session, merchant_id, filters):
    tz = merchant_timezone(session, merchant_id)
    start = local_midnight_utc(filters.day_from, tz) if filters.day_from else None
    end = local_midnight_utc(filters.day_to + timedelta(days=1), tz) if filters.day_to else None
    return start, end


def _part(kind, at, ref_id, amount, store_id, staff_id, sub, text, number, model, where, start, end, joins=(),
          other=_NULL):
    """One kind's SELECT with the union's columns, in the same types on PostgreSQL and SQLite."""
    query = select(
        at.label("at"), sa.literal(kind, sa.String(16)).label("kind"), sa.cast(ref_id, sa.BigInteger).label("ref_id"),
        sa.cast(amount, sa.BigInteger).label("amount"), sa.cast(store_id, sa.Integer).label("store_id"),
        sa.cast(staff_id, sa.Integer).label("staff_id"), sa.cast(sub, sa.String(40)).label("sub"),
        sa.cast(text, sa.String(200)).label("text"), sa.cast(number, sa.BigInteger).label("number"),
        sa.cast(other, sa.Integer).label("other"),
    ).select_from(model)
    for target, on, *outer in joins:
        query = query.join(target, on, isouter=bool(outer))
    query = query.where(*where, at.is_not(None))
    if start is not None:
        query = query.where(at >= start)
    if end is not None:
        query = query.where(at < end)
    return query.order_by(at.desc())


def _payments(mid, member_id, start, end):
    return [_part("payment", Checkout.created_at, Checkout.id, Checkout.pay, Checkout.store_id, Checkout.staff_id,
                 Checkout.tender, Checkout.note, Checkout.discount, Checkout,
                 [Checkout.merchant_id == mid, Checkout.member_id == member_id], start, end)]


def _orders(mid, member_id, start, end):
    return [_part("order", Order.paid_at, Order.id, Order.amount, Order.store_id, Order.staff_id, Order.kind,
                 Order.description, _NULL, Order,
                 [Order.merchant_id == mid, Order.member_id == member_id], start, end)]


def _refunds(mid, member_id, start, end):
    till = _part("refund", CheckoutRefund.created_at, CheckoutRefund.checkout_id, -CheckoutRefund.amount,
                 Checkout.store_id, CheckoutRefund.staff_id, sa.literal("checkout"), CheckoutRefund.reason, _NULL,
                 CheckoutRefund, [CheckoutRefund.merchant_id == mid, Checkout.member_id == member_id], start, end,
                 joins=[(Checkout, sa.and_(Checkout.id == CheckoutRefund.checkout_id,
                                           Checkout.merchant_id == mid))])
    online = _part("refund", OrderRefund.created_at, OrderRefund.order_id, -OrderRefund.amount, Order.store_id,
                   OrderRefund.staff_id, sa.literal("order"), OrderRefund.reason, _NULL, OrderRefund,
                   [OrderRefund.merchant_id == mid, Order.member_id == member_id], start, end,
                   joins=[(Order, sa.and_(Order.id == OrderRefund.order_id, Order.merchant_id == mid))])
    card = _part("refund", CardRefund.created_at, CardRefund.id, -CardRefund.amount, _NULL, CardRefund.staff_id,
                 sa.literal("card"), CardRefund.reason, _NULL, CardRefund,
                 [CardRefund.merchant_id == mid, CardRefund.member_id == member_id], start, end)
    return [till, online, card]


def _points(mid, member_id, start, end):
    return [_part("points", PointsTransaction.created_at, PointsTransaction.id, _NULL, PointsTransaction.store_id,
                 PointsTransaction.operator_id, PointsTransaction.kind, PointsTransaction.note,
                 PointsTransaction.amount, PointsTransaction,
                 [PointsTransaction.merchant_id == mid, PointsTransaction.member_id == member_id], start, end)]


def _verifications(mid, member_id, start, end):
    undone = sa.case((Verification.undone_at.is_not(None), "undone"), else_="done")
    return [_part("verification", Verification.created_at, Verification.id, Verification.amount_taken,
                 Verification.store_id, Verification.staff_id, undone, Verification.instrument_name,
                 Verification.quantity, Verification,
                 [Verification.merchant_id == mid, Verification.member_id == member_id], start, end)]


def _rewards(mid, member_id, start, end):
    return [_part("reward", RewardGrant.created_at, RewardGrant.id, _NULL, RewardGrant.store_id, _NULL,
                 RewardGrant.state, RewardRule.name, RewardGrant.checkout_id, RewardGrant,
                 [RewardGrant.merchant_id == mid, RewardGrant.member_id == member_id], start, end,
                 joins=[(RewardRule, sa.and_(RewardRule.id == RewardGrant.rule_id, RewardRule.merchant_id == mid))])]


def _messages(mid, member_id, start, end):
    sends = _part("message", SendRecipient.sent_at, SendRecipient.send_id, _NULL, _NULL, _NULL,
                  SendRecipient.channel, Send.title, _NULL, SendRecipient,
                  [SendRecipient.merchant_id == mid, SendRecipient.member_id == member_id], start, end,
                  joins=[(Send, sa.and_(Send.id == SendRecipient.send_id, Send.merchant_id == mid))])
    notices = _part("message", NoticeDelivery.sent_at, NoticeDelivery.id, _NULL, _NULL, _NULL,
                    sa.literal("notice"), NoticeDelivery.kind, _NULL, NoticeDelivery,
                    [NoticeDelivery.merchant_id == mid, NoticeDelivery.member_id == member_id,
                     NoticeDelivery.status == "sent"], start, end)
    return [sends, notices]


def _levels(mid, member_id, start, end):
    before = aliased(Level)
    after = aliased(Level)
    words = sa.func.coalesce(before.name, "无") + " → " + sa.func.coalesce(after.name, "无")
    return [_part("level", LevelChange.created_at, LevelChange.id, _NULL, _NULL, LevelChange.operator_id,
                 LevelChange.reason, words, _NULL, LevelChange,
                 [LevelChange.merchant_id == mid, LevelChange.member_id == member_id], start, end,
                 joins=[(before, before.id == LevelChange.from_level_id, True),
                        (after, after.id == LevelChange.to_level_id, True)])]


def _referrals(mid, member_id, start, end):
    mine = _part("referral", Attribution.created_at, Attribution.id, Attribution.amount, Attribution.store_id,
                 Attribution.staff_id, sa.literal("attribution"), Attribution.event, _NULL, Attribution,
                 [Attribution.merchant_id == mid, Attribution.member_id == member_id], start, end)
    earned = _part("referral", ReferralReward.created_at, ReferralReward.id, _NULL, _NULL, _NULL,
                   ReferralReward.outcome, ReferralReward.event, ReferralReward.points, ReferralReward,
                   [ReferralReward.merchant_id == mid, ReferralReward.referrer_id == member_id], start, end)
    return [mine, earned]


def _guides(mid, member_id, start, end):
    return [_part("guide", GuideChange.created_at, GuideChange.id, _NULL, _NULL, GuideChange.operator_id,
                 GuideChange.how, GuideChange.reason, GuideChange.to_staff_id, GuideChange,
                 [GuideChange.merchant_id == mid, GuideChange.member_id == member_id], start, end,
                 other=GuideChange.from_staff_id)]


_PARTS = {"payment": _payments, "order": _orders, "refund": _refunds, "points": _points,
          "verification": _verifications, "reward": _rewards, "message": _messages, "level": _levels,
          "referral": _referrals, "guide": _guides}


def _names(session, merchant_id, raw):
    """Store and staff names for a page's rows, read in two queries scoped to the merchant."""
    store_ids = {r.store_id for r in raw if r.store_id}
    staff_ids = {i for r in raw for i in (r.staff_id, r.other, r.number if r.kind == "guide" else None) if i}
    stores = dict(session.execute(select(Store.id, Store.name).where(
        Store.merchant_id == merchant_id, Store.id.in_(store_ids))).all()) if store_ids else {}
    staff = dict(session.execute(select(Staff.id, Staff.name).where(
        Staff.merchant_id == merchant_id, Staff.id.in_(staff_ids))).all()) if staff_ids else {}
    return stores, staff


def _yuan(fen):
    return f"¥{abs(fen) / 100:.2f}"


def _row(r, names):
    stores, staff = names
    sentence, amount, points, link = _WRITERS[r.kind](r, staff)
    return Row(at=r.at, kind=r.kind, kind_label=KIND_LABELS[r.kind], sentence=sentence, amount=amount, points=points,
               store=stores.get(r.store_id, ""), staff=staff.get(r.staff_id, ""), link=link)


def _payment(r, _staff):
    words = f"消费 {_yuan(r.amount)}（{TENDER_LABELS.get(r.sub, r.sub)}）"
    if r.number:
        words += f"，优惠 {_yuan(r.number)}"
    return words, r.amount, None, ("checkout", r.ref_id)


def _order(r, _staff):
    what = order_rules.KIND_LABELS.get(r.sub, r.sub)
    return f"{what}：{r.text}，支付 {_yuan(r.amount)}", r.amount, None, ("order", r.ref_id)


def _refund(r, _staff):
    where = {"checkout": "消费退款", "order": "订单退款", "card": "退卡"}[r.sub]
    words = f"{where} {_yuan(r.amount)}" + (f"：{r.text}" if r.text else "")
    link = {"checkout": ("checkout", r.ref_id), "order": ("order", r.ref_id)}.get(r.sub)
    return words, r.amount, None, link


def _points_row(r, _staff):
    words = f"积分{POINTS_KIND_LABELS.get(r.sub, r.sub)} {'+' if r.number > 0 else ''}{r.number}"
    return words + (f"：{r.text}" if r.text else ""), None, r.number, None


def _verification(r, _staff):
    words = f"核销「{r.text}」"
    if r.number:
        words += f" {r.number} 次"
    if r.amount:
        words += f"，扣 {_yuan(r.amount)}"
    if r.sub == "undone":
        words += "（已撤销）"
    return words, r.amount, None, None


def _reward(r, _staff):
    state = {"granted": "已发放", "pending_claim": "待领取", "claimed": "已领取"}.get(r.sub, r.sub)
    return f"获得奖励「{r.text}」（{state}）", None, None, ("checkout", r.number) if r.number else None


def _message(r, _staff):
    if r.sub == "notice":
        return f"收到服务通知：{NOTICE_LABELS.get(r.text, r.text)}", None, None, None
    channel = SEND_CHANNEL_WORDS.get(r.sub, "")
    return f"收到{channel}群发「{r.text}」", None, None, ("send", r.ref_id)


def _level(r, _staff):
    return f"等级 {r.text}（{LEVEL_REASON_WORDS.get(r.sub, r.sub)}）", None, None, None


def _referral(r, _staff):
    if r.sub == "attribution":
        words = f"推广记录：{ATTRIBUTION_EVENT_LABELS.get(r.text, r.text)}"
        return words + (f" {_yuan(r.amount)}" if r.amount else ""), r.amount or None, None, None
    event = REFERRAL_EVENT_LABELS.get(r.text, r.text)
    outcome = REFERRAL_OUTCOME_LABELS.get(r.sub, r.sub)
    words = f"邀请奖励（{event}）{outcome}" + (f"：{r.number} 积分" if r.number else "")
    return words, None, r.number or None, None


def _guide(r, staff):
    how = GUIDE_CHANGE_LABELS.get(r.sub, r.sub)
    before, after = staff.get(r.other, "无"), staff.get(r.number, "无")
    words = f"专属导购 {before} → {after}（{how}）" + (f"：{r.text}" if r.text else "")
    return words, None, None, None


_WRITERS = {"payment": _payment, "order": _order, "refund": _refund, "points": _points_row,
            "verification": _verification, "reward": _reward, "message": _message, "level": _level,
            "referral": _referral, "guide": _guide}
