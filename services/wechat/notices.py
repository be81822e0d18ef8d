"""Template notices to members: points changed, balance changed, level up, a coupon received (券到账).

A ledger change calls one of the `*_changed` hooks inside its own unit of work. The hook records a
NoticeDelivery (its idempotency key comes from the ledger row, so a replayed ledger call records
nothing new) and enqueues the send, which runs only after the change commits. `send` is what the job
runs: it records sent / failed / skipped on the delivery and never touches the change that caused it.
"""
import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from channels import alipay_life
from channels.wechat import client_for
from domain.clock import now_utc, to_local
from domain.money import format_yuan
from models import MemberIdentity, Merchant, NoticeDelivery, WechatSettings
from services.alipay_life import settings as life_settings
from services.shared import host, job_queue
from services.shared.tenancy import scoped

SEND_JOB = "jobs.notices.send_notice"  # jobs/notices.py

log = logging.getLogger(__name__)

SWITCHES = {"points_changed": "notify_points", "balance_changed": "notify_balance", "level_up": "notify_level",
            "coupon_received": "notify_coupon"}
LINK_PAGES = {"points_changed": "member_h5.points", "balance_changed": "member_h5.balance",
              "level_up": "member_h5.level", "coupon_received": "member_h5.coupon_code"}
# Channels where the member took the coupon themselves, on the page they are looking at: no notice.
MEMBERS_OWN_CHANNELS = frozenset({"h5", "poster_qr", "shop_qr", "menu", "points_exchange", "purchase", "receipt_qr",
                                  "mass_message"})
FIELD_LIMIT = 20  # characters WeChat shows of a template field
WALLET_KIND_LABELS = {"credit": "充值", "debit": "消费", "refund": "退款"}


# --- hooks called by the ledgers --------------------------------------------------------------------

def points_changed(session, merchant, txn):
    payload = {"amount": txn.amount, "balance": txn.balance_after, "reason": txn.note or txn.kind_label,
               "at": _stamp(txn.created_at)}
    return _record(session, merchant, txn.member_id, "points_changed", f"points:{txn.id}", payload)


def balance_changed(session, merchant_id, wallet, txn):
    if wallet.kind != "member" or wallet.member_id is None or txn.amount == 0:
        return None
    payload = {"amount": txn.amount, "balance": txn.principal_after + txn.bonus_after,
               "reason": txn.note or WALLET_KIND_LABELS.get(txn.kind, txn.kind_label), "at": _stamp(txn.created_at)}
    merchant = session.get(Merchant, merchant_id)
    return _record(session, merchant, wallet.member_id, "balance_changed", f"wallet:{txn.id}", payload)


def level_changed(session, member, previous_level, new_level, change):
    """Only a move up notifies; joining at the base level or a manual move down does not."""
    if change.reason == "join" or new_level is None:
        return None
    if previous_level is not None and new_level.rank <= previous_level.rank:
        return None
    payload = {"level": new_level.name, "previous": previous_level.name if previous_level else "",
               "at": _stamp(change.created_at)}
    merchant = session.get(Merchant, member.merchant_id)
    return _record(session, merchant, member.id, "level_up", f"level:{change.id}", payload)


def _record(session, merchant, member_id, kind, key, payload):
    """A member with the merchant's WeChat openid gets the template notice; one without it but with an Alipay
    identity gets the notice through the merchant's Alipay life account (生活号), when it is on for this kind."""
    if merchant is None:
        return None
    channel, address = _recipient(session, merchant, member_id, kind)
    if not address:
        return None
    delivery = NoticeDelivery(merchant_id=merchant.id, member_id=member_id, kind=kind, channel=channel,
                              openid=address, payload=payload, status="pending", attempts=0, idempotency_key=key)
    try:
        with session.begin_nested():
            session.add(delivery)
            session.flush()
    except IntegrityError:
        return None  # already recorded by an earlier (replayed) call
    job_queue.enqueue(session, SEND_JOB, delivery.id)
    return delivery


def _recipient(session, merchant, member_id, kind):
    """(channel, openid or Alipay user_id) of the member for this notice, or (None, None)."""
    openid = wechat_openid(session, merchant, member_id) if merchant.wechat_app_id else None
    if openid:
        settings = session.scalars(scoped(WechatSettings, merchant.id)).one_or_none()
        if settings is not None and not getattr(settings, SWITCHES[kind]):
            return None, None
        return "wechat", openid
    if life_settings.notice_template(life_settings.usable(session, merchant), kind) is None:
        return None, None
    return "alipay", life_settings.alipay_user_id(session, merchant.id, member_id)


def wechat_openid(session, merchant, member_id):
    return session.scalar(
        scoped(MemberIdentity, merchant.id).with_only_columns(MemberIdentity.value)
        .where(MemberIdentity.member_id == member_id, MemberIdentity.kind == "wechat_openid",
               MemberIdentity.app_id == merchant.wechat_app_id, MemberIdentity.active.is_(True))
        .order_by(MemberIdentity.id.desc()).limit(1)
    )


def coupon_received(session, merchant, code, title, until_text, src=None):
    """券到账: a coupon given to the member by someone else (staff, a bulk issue, a send, a rule, a friend).
    `src`: the token of the source (a campaign) the notice's link carries, so what follows is credited to it."""
    values = {"code_id": code.id, **({"src": src} if src else {})}
    return _given(session, merchant, code, f"coupon:{code.id}", "您收到一张优惠券", title, until_text,
                  ("member_h5.coupon_code", values))


def card_received(session, merchant, card, title, until_text):
    """券到账 for a card (count, timed, benefit, gift) given to the member by someone else."""
    page = ("member_h5.card_detail", {"card_id": card.id}) if card.kind in ("count", "timed") else \
        (CARD_LIST_PAGES.get(card.kind, "member_h5.cards"), {})
    return _given(session, merchant, card, f"card:{card.id}", "您收到一张卡", title, until_text, page)


# The member's list of cards of a kind without a page of each card of its own.
CARD_LIST_PAGES = {"benefit": "member_h5.my_benefit_cards", "gift": "member_h5.gift_cards_list"}


def _given(session, merchant, row, key, first, title, until_text, page):
    """The notice of a coupon or card given; `page`: (endpoint, its values) the notice links to."""
    if row.channel in MEMBERS_OWN_CHANNELS or row.member_id is None:
        return None
    endpoint, values = page
    payload = {"first": first, "title": _fit(title), "until": _fit(until_text), "page": endpoint,
               "page_values": values, "at": _stamp(row.created_at)}
    return _record(session, merchant, row.member_id, "coupon_received", key, payload)


def _fit(text):
    text = (text or "").strip()
    return text if len(text) <= FIELD_LIMIT else text[:FIELD_LIMIT - 1] + "…"


# --- the send, run by the job ------------------------------------------------------------------------

def send(session, delivery_id):
    """Send one delivery. Returns the error text when the send failed (the caller commits, then retries)."""
    delivery = session.scalars(select(NoticeDelivery).where(NoticeDelivery.id == delivery_id)
                               .with_for_update()).one_or_none()
    if delivery is None or delivery.status in ("sent", "skipped"):
        return None
    merchant = session.get(Merchant, delivery.merchant_id)
    if delivery.channel == "alipay":
        return _send_through_life_account(session, merchant, delivery)
    settings = session.scalars(scoped(WechatSettings, merchant.id)).one_or_none()
    template_id = ((settings.template_ids if settings else None) or {}).get(delivery.kind)
    if settings is not None and not getattr(settings, SWITCHES[delivery.kind]):
        return _skip(session, delivery, "商户已关闭该通知")
    if not template_id:
        return _skip(session, delivery, "未配置该通知的模板 ID")
    delivery.attempts += 1
    try:
        client_for(merchant).message.send_template(delivery.openid, template_id,
                                                   template_data(delivery, merchant.timezone),
                                                   url=member_link(merchant, *_link(delivery)))
    except Exception as exc:  # noqa: BLE001 - any failure is recorded; the job re-raises to retry
        delivery.status = "failed"
        delivery.last_error = f"{type(exc).__name__}: {exc}"[:500]
        session.flush()
        log.warning("notice %s (%s) failed, attempt %s: %s", delivery.id, delivery.kind, delivery.attempts,
                    delivery.last_error)
        return delivery.last_error
    delivery.status, delivery.sent_at, delivery.last_error = "sent", now_utc(), None
    session.flush()
    return None


def _send_through_life_account(session, merchant, delivery):
    """The notice through the merchant's Alipay life account. Alipay's final refusals (the member does not follow
    the life account, a bad template) are recorded in its words and not retried; the rest are retried by the job."""
    settings = life_settings.usable(session, merchant)
    template_id = life_settings.notice_template(settings, delivery.kind)
    if template_id is None:
        return _skip(session, delivery, "商户已关闭生活号的该通知或未配置模板 ID")
    lines = [field["value"] for field in _ordered(template_data(delivery, merchant.timezone))]
    context = alipay_life.template_context(lines, member_link(merchant, *_link(delivery)))
    delivery.attempts += 1
    try:
        alipay_life.send_template(merchant, delivery.openid, template_id, context)
    except (alipay_life.LifeAccountRefused, alipay_life.LifeAccountUnreachable) as exc:
        delivery.status, delivery.last_error = "failed", str(exc)[:500]
        session.flush()
        log.warning("life-account notice %s (%s) failed, attempt %s: %s", delivery.id, delivery.kind,
                    delivery.attempts, delivery.last_error)
        final = isinstance(exc, alipay_life.LifeAccountRefused) and exc.final
        return None if final else delivery.last_error
    delivery.status, delivery.sent_at, delivery.last_error = "sent", now_utc(), None
    session.flush()
    return None


def _ordered(data):
    """Template data as lines: first, keyword1.., remark."""
    keywords = sorted((name for name in data if name.startswith("keyword")), key=lambda name: int(name[7:]))
    return [data["first"], *(data[name] for name in keywords), data["remark"]]


def _skip(session, delivery, reason):
    delivery.status, delivery.last_error = "skipped", reason
    session.flush()
    return None


def template_data(delivery, tz_name=None):
    """The classic template layout (first / keyword1.. / remark) that the merchant's templates use."""
    p = dict(delivery.payload or {})
    p["at"] = _local(p.get("at"), tz_name)
    if delivery.kind == "points_changed":
        lines = ["您的积分有变动", f"{p.get('amount', 0):+d} 积分", f"{p.get('balance', 0)} 积分", p.get("reason", ""),
                 p.get("at", ""), "点击查看积分明细"]
    elif delivery.kind == "balance_changed":
        amount = p.get("amount", 0)
        lines = ["您的储值余额有变动", f"{'+' if amount > 0 else '-'}¥{format_yuan(abs(amount))}",
                 f"¥{format_yuan(p.get('balance', 0))}", p.get("reason", ""), p.get("at", ""), "点击查看余额明细"]
    elif delivery.kind == "coupon_received":
        lines = [p.get("first", "您收到一张优惠券"), p.get("title", ""), p.get("until", ""), p.get("at", ""), "点击查看并使用"]
    else:
        lines = [f"恭喜您升级为{p.get('level', '')}", p.get("level", ""), p.get("at", ""), "点击查看会员权益"]
    first, *keywords, remark = lines
    data = {"first": {"value": first}, "remark": {"value": remark}}
    data.update({f"keyword{i}": {"value": value} for i, value in enumerate(keywords, 1)})
    return data


def member_link(merchant, endpoint, values=None):
    """An absolute link into the member pages, built without a request (jobs run outside one)."""
    return host.external_url(endpoint, merchant_slug=merchant.slug, **(values or {}))


def _link(delivery):
    """(endpoint, values) of the member page a notice opens: a 券到账 names its own."""
    payload = delivery.payload or {}
    return payload.get("page") or LINK_PAGES[delivery.kind], payload.get("page_values") or {}


def _stamp(moment):
    return (moment or now_utc()).isoformat()


def _local(stamp, tz_name):
    try:
        return to_local(datetime.fromisoformat(stamp), tz_name).strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        return ""


def deliveries_of(session, merchant_id, member_id):
    return session.scalars(scoped(NoticeDelivery, merchant_id).where(NoticeDelivery.member_id == member_id)
                           .order_by(NoticeDelivery.id)).all()

