"""Count cards (次卡) and timed cards (时长卡): templates, issuing, use at the till, undo, void, the member's photo.

How the rows are used:
- One `cards` row per purchase. A count card holds `uses_total`/`uses_left` and an optional end
  (`template.valid_days` after the day of issue). A timed card holds its length in `days` and its
  window in `starts_at`/`ends_at`: pending with no window until the first use (start_mode first_use),
  or pending with a window starting N local days after purchase (start_mode after_days, active at once when N=0).
- Extension: buying a timed template while the member holds an active or pending card of it lengthens that
  card from its current end (`days += tier`, `ends_at += tier`). The purchase still gets its own row, so the
  price, tier, channel and idempotency key of every sale stay on record; that row is born closed —
  state `expired`, `closed_at` = the purchase time, no window, `extended_into_id` = the card it lengthened —
  and is never usable itself (looked up at the till it points to the card it went into). Member pages
  list only rows without `extended_into_id`.
- Using a count card is one conditional UPDATE (`uses_left >= n AND state = 'active'`) that also flips the
  card to used_up when the last use goes. Using a timed card happens under a row lock on the card, which
  serialises its start and the count of today's uses (verifications of the merchant's local day, not undone).
- Undo gives a count card's uses back with a conditional UPDATE; a timed card's use drops out of today's
  count once its verification is marked undone (the card row is locked meanwhile, so the count stays exact).
"""
import os
import secrets

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import case, func, or_, select, update

from domain import cards as card_rules
from domain import timed_cards as rules
from domain.cards import ACTIVE, COUNT, EXPIRED, PENDING, TIMED, USED_UP, VOIDED
from domain.clock import now_utc, to_local, until_text
from domain.coupons import format_code, new_code
from domain.errors import Conflict, DomainError, NotFound
from models import Card, CardTemplate, Member, Merchant, Verification
from models.coupons import CHANNELS
from services.merchant import audit
from services.cards import templates as card_templates
from services.shared import idempotency
from services.verification import records as verifications
from services.shared.tenancy import get_owned, merchant_timezone, scoped
from services.shared.text import optional_text
from services.verification.lookup import Lookup

KINDS = (COUNT, TIMED)
INSTRUMENT_TYPES = {COUNT: "count_card", TIMED: "timed_card"}
PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_URL_SECONDS = 600
_PHOTO_SALT = "card-photo-v1"


# --- templates ------------------------------------------------------------------------------------

def save_template(session, actor, template, **values):
    """Create (template=None) or update a count or timed card template of the actor's merchant."""
    kind = values.get("kind", template.kind if template else None)
    if kind not in KINDS:
        raise DomainError("未知的卡类型")
    if template is not None and template.kind != kind:
        raise DomainError("已创建的卡不能更改类型")
    if template is None:
        template = CardTemplate(merchant_id=actor.merchant_id, kind=kind, stock_issued=0)
        session.add(template)
    card_templates.apply_text(template, values)
    template.cover_color = card_templates.cover_colour(values.get("cover_color"))
    template.stock_total = card_templates.check_stock(values.get("stock_total"), template.stock_issued or 0)
    template.disabled = bool(values.get("disabled", False))
    card_templates.assign_stores(session, template, actor.merchant_id, values.get("store_ids"))
    if kind == COUNT:
        _apply_count(template, values)
    else:
        _apply_timed(template, values)
    session.flush()
    return template


def _apply_count(template, values):
    uses, service_name = values.get("uses"), optional_text(values.get("service_name"), "服务项目", 60)
    rules.check_count_rules(uses, service_name)
    valid_days, price = values.get("valid_days"), values.get("price")
    if valid_days is not None and not 0 < valid_days <= rules.MAX_DAYS:
        raise DomainError(f"有效天数须在 1 到 {rules.MAX_DAYS} 之间，留空表示长期有效")
    if price is not None and price < 0:
        raise DomainError("价格不能为负数")
    template.uses, template.service_name, template.valid_days, template.price = uses, service_name, valid_days, price
    template.tiers, template.daily_limit, template.photo_required = [], None, False


def _apply_timed(template, values):
    tiers = rules.clean_tiers(values.get("tiers") or ())
    start_mode, after = values.get("start_mode") or rules.FIRST_USE, values.get("start_after_days") or 0
    daily_limit = values.get("daily_limit")
    rules.check_timed_rules(start_mode, after, daily_limit)
    template.tiers = [tier.as_json() for tier in tiers]
    template.start_mode, template.start_after_days = start_mode, after if start_mode == rules.AFTER_DAYS else 0
    template.daily_limit, template.photo_required = daily_limit, bool(values.get("photo_required", False))
    template.price = min(tier.price for tier in tiers)  # "from" price for listings; each sale pays its tier
    template.uses, template.service_name, template.valid_days = None, None, None


# --- issuing --------------------------------------------------------------------------------------

def issue(session, merchant, template_id, member_id, *, channel, key, tier_key=None, issued_by=None, price_paid=None,
          stock_reserved=False, now=None):
    """Issue (sell or give) one card to a member; idempotent by key. Returns the new row.

    `stock_reserved`: a paid order (services.orders.card_sales) already took this card from stock and checked the sale
    when it was created, so it is issued without counting stock again, even if the card was stopped since.

    For a timed card the member already holds (active or pending) the returned row is the closed purchase
    record whose `extended_into_id` names the card that was lengthened (see the module docstring).
    """
    if channel not in CHANNELS:
        raise DomainError("未知的发放渠道")
    idempotency.check_key(key)
    now = now or now_utc()
    member = get_owned(session, Member, merchant.id, member_id, lock=True)  # serialises this member's purchases
    existing = idempotency.find_existing(session, Card, merchant.id, key)
    if existing is not None:
        return idempotency.ensure_same_request(existing, template_id=int(template_id), member_id=member.id)
    template = get_owned(session, CardTemplate, merchant.id, template_id)
    if template.kind not in KINDS:
        raise NotFound("记录不存在")
    if template.disabled and not stock_reserved:
        raise Conflict("该卡已停止发放")
    if not stock_reserved:
        card_templates.take_stock(session, template, "该卡已售罄")
    card = Card(merchant_id=merchant.id, template_id=template.id, kind=template.kind, member_id=member.id,
                code=new_code(), channel=channel, idempotency_key=key, created_at=now,
                issued_by_id=issued_by.id if issued_by else None, price_paid=price_paid)
    if template.kind == COUNT:
        card.state, card.starts_at = ACTIVE, now
        card.ends_at = rules.count_end(now, template.valid_days, merchant.timezone)
        card.uses_total = card.uses_left = template.uses
    else:
        _fill_timed(session, card, template, member, tier_key, merchant.timezone, now)
    session.add(card)
    session.flush()
    return card


def _fill_timed(session, card, template, member, tier_key, tz_name, now):
    tier = rules.pick_tier(template.tiers, tier_key)
    card.tier_key, card.days, card.daily_limit = tier.key, tier.days, template.daily_limit
    if card.price_paid is None:
        card.price_paid = tier.price
    held = session.scalars(scoped(Card, template.merchant_id).where(
        Card.template_id == template.id, Card.member_id == member.id, Card.extended_into_id.is_(None),
        Card.state.in_((ACTIVE, PENDING)), or_(Card.ends_at.is_(None), Card.ends_at > now))
        .order_by(Card.id).with_for_update().execution_options(populate_existing=True)).first()
    if held is not None and rules.is_extendable(held.state, held.ends_at, now):
        held.days, held.ends_at = rules.extend(held.days, held.ends_at, tier.days)
        card.state, card.closed_at, card.extended_into_id = EXPIRED, now, held.id
        return
    start = rules.timed_start(template.start_mode, template.start_after_days, tier.days, now, tz_name)
    card.state, card.starts_at, card.ends_at = start.state, start.starts_at, start.ends_at


# --- use at the till ------------------------------------------------------------------------------

def use(session, actor, card_id, *, store_id, method, key, quantity=None, amount_received=0, now=None):
    """Verify a count or timed card in a store: take uses, or one use of today's allowance. Replay-safe by key."""
    verifications.check_request(method, key)
    now = now or now_utc()
    store = verifications.actor_store(session, actor, store_id)
    card = _owned_card(session, actor.merchant_id, card_id)
    earlier = verifications.replay(session, actor, key)
    if earlier is not None:
        return idempotency.ensure_same_request(earlier, card_id=card.id)
    if amount_received is None or amount_received < 0:
        raise DomainError("收款金额不能为负数")
    if card.kind == COUNT:
        taken = _take_uses(session, card, store, _quantity(quantity), now)
    else:
        taken = _use_timed(session, card, store, quantity, now)
    record = verifications.record(session, actor, store=store, instrument_type=INSTRUMENT_TYPES[card.kind],
                                  instrument_name=card.template.title, method=method, key=key,
                                  member_id=card.member_id, now=now, amount_received=amount_received,
                                  card_id=card.id, quantity=taken)
    session.expire(card)
    return record


def _quantity(quantity):
    n = 1 if quantity in (None, "") else quantity
    if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
        raise DomainError("核销次数须为正整数")
    return n


def _take_uses(session, card, store, n, now):
    reason = why_not(session, card, store.id, now, wanted=n)
    if reason is not None:
        raise Conflict(reason, code=card.code, state=card.state)
    done = session.execute(
        update(Card).where(Card.id == card.id, Card.state == ACTIVE, Card.uses_left >= n,
                           or_(Card.ends_at.is_(None), Card.ends_at > now))
        .values(uses_left=Card.uses_left - n,
                state=case((Card.uses_left == n, USED_UP), else_=ACTIVE),
                closed_at=case((Card.uses_left == n, now), else_=None))
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        session.refresh(card)
        raise Conflict(why_not(session, card, store.id, now, wanted=n) or "次卡状态已变化，请重试",
                       code=card.code, state=card.state)
    return n


def _use_timed(session, card, store, quantity, now):
    if quantity not in (None, "", 1):
        raise DomainError("时长卡每次核销 1 次")
    card = get_owned(session, Card, card.merchant_id, card.id, lock=True)  # serialises today's count and the start
    reason = why_not(session, card, store.id, now)
    if reason is not None:
        raise Conflict(reason, code=card.code, state=card.state)
    if card.state == PENDING:
        starts, ends = (card.starts_at, card.ends_at) if card.starts_at else rules.started_window(now, card.days)
        done = session.execute(
            update(Card).where(Card.id == card.id, Card.state == PENDING)
            .values(state=card_rules.move(TIMED, PENDING, ACTIVE), starts_at=starts, ends_at=ends)
            .execution_options(synchronize_session=False)
        ).rowcount
        if done != 1:
            raise Conflict("时长卡状态已变化，请重试", code=card.code)
    return 1


def used_today(session, card, now, tz_name):
    """Uses of this card in the merchant's local day containing `now`, undone ones excluded."""
    start, end = rules.local_day_bounds(now, tz_name)
    return session.scalar(select(func.coalesce(func.sum(func.coalesce(Verification.quantity, 1)), 0)).where(
        Verification.card_id == card.id, Verification.undone_at.is_(None),
        Verification.created_at >= start, Verification.created_at < end)) or 0


def why_not(session, card, store_id, now, wanted=1):
    """None when the card can be used in this store now; otherwise the reason, in Chinese."""
    template, tz_name = card.template, merchant_timezone(session, card.merchant_id)
    target = session.get(Card, card.extended_into_id) if card.extended_into_id else None
    usage = rules.Usage(
        kind=card.kind, state=card.state, starts_at=card.starts_at, ends_at=card.ends_at,
        store_ok=card_templates.valid_in(template, store_id),
        uses_left=card.uses_left, wanted=wanted, daily_limit=card.daily_limit,
        used_today=used_today(session, card, now, tz_name) if card.kind == TIMED and card.daily_limit else 0,
        photo_required=template.photo_required, has_photo=bool(card.photo_path),
        extended_into=format_code(target.code) if target is not None else None)
    return rules.why_not_usable(usage, now, tz_name)


def undo_use(session, staff, record, now=None):
    """Reverse one use (services.verification.instruments.undo has checked who and when, and marks the record)."""
    card = get_owned(session, Card, staff.merchant_id, record.card_id, lock=True)
    if card.kind == TIMED:
        return  # today's count leaves out undone records; the lock keeps a concurrent use from miscounting
    n = record.quantity or 1
    done = session.execute(
        update(Card).where(Card.id == card.id, Card.state.in_((ACTIVE, USED_UP)),
                           Card.uses_left + n <= Card.uses_total)
        .values(uses_left=Card.uses_left + n, state=ACTIVE, closed_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        raise Conflict("次卡状态已变化，不能撤销")
    session.expire(card)


# --- back office ----------------------------------------------------------------------------------

def void(session, actor, card_id, now=None, ip=None):
    """Void a card the member still holds (conditional on its state), with an audit entry."""
    now = now or now_utc()
    card = _owned_card(session, actor.merchant_id, card_id)
    sources = [state for state, targets in card_rules.TRANSITIONS[card.kind].items() if VOIDED in targets]
    before = card.state
    done = session.execute(
        update(Card).where(Card.id == card.id, Card.state.in_(sources), Card.extended_into_id.is_(None))
        .values(state=VOIDED, closed_at=now).execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        session.refresh(card)
        raise Conflict(f"该卡当前状态为「{card_rules.state_label(card.kind, card.state)}」，不能作废")
    audit.record(session, actor, "card.void", "card", card.id, before={"state": before},
                 after={"state": VOIDED}, ip=ip)
    session.flush()
    session.expire(card)
    return card


# --- the member's side ----------------------------------------------------------------------------

def member_cards(session, merchant_id, member_id, now=None):
    """(usable, finished) count and timed cards of a member; extension purchase rows are not cards to show."""
    now = now or now_utc()
    rows = session.scalars(scoped(Card, merchant_id).where(
        Card.member_id == member_id, Card.kind.in_(KINDS), Card.extended_into_id.is_(None))
        .order_by(Card.id.desc())).all()
    usable = [c for c in rows if c.state in (ACTIVE, PENDING) and (c.ends_at is None or c.ends_at > now)]
    finished = [c for c in rows if c not in usable]
    return usable, finished


def member_card(session, merchant_id, member_id, card_id, lock=False):
    """The member's own count or timed card; NotFound for anyone else's."""
    card = get_owned(session, Card, merchant_id, card_id, lock=lock)
    if card.member_id != member_id or card.kind not in KINDS or card.extended_into_id is not None:
        raise NotFound("记录不存在")
    return card


def status_of(card, now):
    """'usable', or the state the member should see ('expired' when the end has passed but no job wrote it)."""
    if card.state in (ACTIVE, PENDING):
        return "usable" if card.ends_at is None or card.ends_at > now else EXPIRED
    return card.state


def photo_dir(app):
    return app.config.get("UPLOAD_DIR") or os.path.join(app.instance_path, "uploads")


def save_photo(session, merchant_id, member_id, card_id, data, upload_root):
    """Store the member's photo for a timed card's check at the till; JPEG or PNG by magic bytes, at most 5 MB."""
    card = member_card(session, merchant_id, member_id, card_id, lock=True)
    if card.kind != TIMED or not card.template.photo_required:
        raise DomainError("该卡无需上传照片")
    if card.state not in (ACTIVE, PENDING):
        raise Conflict("该卡已不可使用，无需上传照片")
    if not data:
        raise DomainError("请选择照片")
    if len(data) > PHOTO_MAX_BYTES:
        raise DomainError("照片不能超过 5 MB")
    extension = image_type(data)
    if extension is None:
        raise DomainError("请上传 JPG 或 PNG 格式的照片")
    relative = f"{int(merchant_id)}/cards/{secrets.token_urlsafe(18)}.{extension}"
    target = os.path.join(upload_root, relative)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "wb") as out:
        out.write(data)
    card.photo_path = relative
    session.flush()
    return card


def discard_photo(upload_root, relative):
    """Remove a replaced photo's file once the new one is committed; a file already gone is fine."""
    if not relative:
        return
    try:
        os.remove(os.path.join(upload_root, relative))
    except FileNotFoundError:
        pass


def image_type(data):
    """'jpg' or 'png' from the file's first bytes, whatever its name says; None for anything else."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    return None


def _photo_serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_PHOTO_SALT)


def photo_token(card):
    return _photo_serializer().dumps([card.merchant_id, card.id, card.photo_path])


def photo_file(session, merchant_id, token, upload_root, max_age=None):
    """The file a photo token names, if signed by us, not expired, of this merchant and still the card's photo."""
    try:
        token_merchant_id, card_id, path = _photo_serializer().loads(
            token or "", max_age=PHOTO_URL_SECONDS if max_age is None else max_age)
    except SignatureExpired:
        raise NotFound("照片链接已过期") from None
    except (BadSignature, TypeError, ValueError):
        raise NotFound("照片不存在") from None
    if token_merchant_id != merchant_id:
        raise NotFound("照片不存在")
    card = get_owned(session, Card, merchant_id, card_id)
    if not path or card.photo_path != path:
        raise NotFound("照片不存在")
    full = os.path.join(upload_root, path)
    if not os.path.isfile(full):
        raise NotFound("照片不存在")
    return full


def photo_url(session, card):
    """A signed link, valid PHOTO_URL_SECONDS, through which staff see the member's photo; None without one."""
    if not card.photo_path:
        return None
    from flask import url_for

    slug = session.get(Merchant, card.merchant_id).slug
    return url_for("member_h5.card_photo", merchant_slug=slug, token=photo_token(card))


# --- helpers --------------------------------------------------------------------------------------

def _owned_card(session, merchant_id, card_id):
    card = get_owned(session, Card, merchant_id, card_id)
    if card.kind not in KINDS:
        raise NotFound("记录不存在")
    return card


def summary(session, card, now):
    """[(label, value)] lines about a card's allowance, in Chinese, for the till and the member page."""
    tz_name = merchant_timezone(session, card.merchant_id)
    lines = []
    if card.kind == COUNT:
        template = card.template
        if template.service_name:
            lines.append(("服务项目", template.service_name))
        lines.append(("剩余次数", f"{card.uses_left} / {card.uses_total} 次"))
    else:
        if card.starts_at is None:
            lines.append(("时长", f"{card.days} 天，首次使用时开始"))
        elif card.starts_at > now:
            lines.append(("开始日期", f"{to_local(card.starts_at, tz_name):%Y-%m-%d}"))
        if card.starts_at is not None and card.ends_at is not None and card.starts_at <= now:
            lines.append(("剩余天数", f"{rules.days_left(card.ends_at, now)} 天"))
        limit = "不限" if card.daily_limit is None else f"{card.daily_limit} 次"
        lines.append(("今日已用", f"{used_today(session, card, now, tz_name)} 次（每日上限 {limit}）"))
    lines.append(("有效期至", until_text(card.ends_at, tz_name)))
    return lines


class _CardInstrument:
    """Count and timed cards as the staff page and the API see them (see services/verification/instruments.py)."""

    kind = "count_card"
    kinds = ("count_card", "timed_card")

    def find(self, session, merchant_id, code):
        return session.scalars(scoped(Card, merchant_id).where(Card.code == code, Card.kind.in_(KINDS))).one_or_none()

    def describe(self, session, card, store_id, now):
        template = card.template
        details = summary(session, card, now)
        if template.notes:
            details.append(("使用说明", template.notes))
        return Lookup(kind=INSTRUMENT_TYPES[card.kind], kind_label=card_rules.KIND_LABELS[card.kind], id=card.id,
                      code=card.code, title=template.title, state=card.state,
                      state_label=card_rules.state_label(card.kind, card.state),
                      reason=why_not(session, card, store_id, now), member=card.member, details=details,
                      take="uses" if card.kind == COUNT else None,
                      take_max=card.uses_left if card.kind == COUNT else None,
                      photo_url=photo_url(session, card) if card.kind == TIMED and template.photo_required else None)

    def verify(self, session, actor, row_id, *, store_id, method, key, quantity=None, amount=None,
               amount_received=0, now=None):
        return use(session, actor, row_id, store_id=store_id, method=method, key=key, quantity=quantity,
                   amount_received=amount_received, now=now)

    def undo(self, session, staff, record, now):
        undo_use(session, staff, record, now)

    def held_by(self, session, member, store_id, now):
        usable, _finished = member_cards(session, member.merchant_id, member.id, now)
        return [self.describe(session, card, store_id, now) for card in usable]


INSTRUMENT = _CardInstrument()


# --- closing a card whose order is refunded (services.orders.refunds) ------------------------------------------------

def close_for_refund(session, merchant_id, card_id, now=None):
    """Mark a bought count or timed card refunded: a conditional UPDATE from the states that may become
    refunded, so a refund racing a use or another refund closes it once. Conflict says why it cannot."""
    now = now or now_utc()
    card = get_owned(session, Card, merchant_id, card_id)
    if card.kind not in KINDS:
        raise NotFound("记录不存在")
    if card.extended_into_id is not None:
        raise Conflict("这次购买已续期到会员的另一张时长卡上，不能单独退款")
    sources = [state for state, targets in card_rules.TRANSITIONS[card.kind].items()
               if card_rules.REFUNDED in targets]
    closed = session.execute(
        update(Card).where(Card.id == card.id, Card.state.in_(sources), Card.extended_into_id.is_(None))
        .values(state=card_rules.REFUNDED, closed_at=now).execution_options(synchronize_session=False)).rowcount
    session.expire(card)
    if closed != 1:
        raise Conflict(f"该卡当前状态为「{card_rules.state_label(card.kind, card.state)}」，不能退款")
    return card
