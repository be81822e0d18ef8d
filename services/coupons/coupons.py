"""Coupons: templates, issuing under stock and per-member limits, and verification at the till.

Issuing takes stock with a conditional update and counts a member's codes under their row lock;
verifying is a conditional update on the code's state. Neither ever reads, decides, then writes.
"""
import re
from collections import namedtuple

from sqlalchemy import bindparam, func, literal_column, select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.util import identity_key
from sqlalchemy.orm.attributes import set_committed_value

from domain import coupons as rules
from domain.clock import now_utc, to_local
from domain.errors import Conflict, DomainError, NotFound
from domain.money import MAX_FEN
from domain.pricing_types import PRICED_KINDS
from models import CouponCode, CouponTemplate, Level, Member, Store
from models.coupons import CHANNELS, coupon_template_stores
from services.shared import direct_sql, idempotency
from services.verification import records as verifications
from services.shared.tenancy import get_owned, merchant_timezone, owned_ids, scoped
from services.shared.text import optional_text, required_text
from services.verification.lookup import Lookup

MAX_POINTS_PRICE = 100_000_000


def save_template(session, actor, template, **values):
    """Create (template=None) or update a coupon template of the actor's merchant."""
    kind = values.get("kind", template.kind if template else None)
    if kind not in rules.KINDS:
        raise DomainError("未知的券类型")
    if template is None:
        template = CouponTemplate(merchant_id=actor.merchant_id, kind=kind, stock_issued=0)
        session.add(template)
    template.title = required_text(values.get("title"), "券名称", 40)
    template.notes = optional_text(values.get("notes"), "使用说明", 1000)
    _apply_benefit(template, kind, values)
    _apply_limits(template, values)
    _apply_validity(template, values)
    store_ids = values.get("store_ids") or ()
    template.all_stores = not store_ids
    template.stores = owned_ids(session, Store, actor.merchant_id, store_ids)
    template.shareable = bool(values.get("shareable", False))
    template.free_claim = bool(values.get("free_claim", True))
    if "price" in values:
        template.price = _sale_price(values["price"])
    if "points_prices" in values:
        template.points_prices = _points_prices(session, actor.merchant_id, values["points_prices"])
    template.active = bool(values.get("active", True))
    session.flush()
    return template


def _sale_price(value):
    """Fen the member pays through the payment flow; None when the coupon is not sold."""
    if value is None:
        return None
    if not isinstance(value, int) or not 0 < value <= MAX_FEN:
        raise DomainError("售价须大于 0 且不超过上限")
    return value


def claim(session, merchant, template_id, member_id, *, channel, key, issued_by=None, stock_reserved=False, now=None):
    """Issue one code of a template to a member. Refuses when stock or the member's limit is used up.

    `stock_reserved`: a paid order (services.orders.card_sales) already took the code from stock and counted it against
    the member's limit when it was created; the code is issued without counting either again.
    """
    if channel not in CHANNELS:
        raise DomainError("未知的领取渠道")
    idempotency.check_key(key)
    now = now or now_utc()
    member = get_owned(session, Member, merchant.id, member_id, lock=True)  # serialises this member's claims
    existing = idempotency.find_existing(session, CouponCode, merchant.id, key)
    if existing is not None:
        return idempotency.ensure_same_request(existing, template_id=int(template_id), member_id=member.id)
    template = get_owned(session, CouponTemplate, merchant.id, template_id)
    if not stock_reserved:
        _check_and_take(session, template, member.id)
    starts_at, ends_at = rules.window(_validity(template), now, merchant.timezone)
    code = CouponCode(merchant_id=merchant.id, template_id=template.id, member_id=member.id, code=rules.new_code(),
                      state=rules.AVAILABLE, channel=channel, idempotency_key=key, starts_at=starts_at,
                      ends_at=ends_at, created_at=now, issued_by_id=issued_by.id if issued_by else None)
    session.add(code)
    session.flush()
    return code


def claim_free(session, merchant, template_id, member_id, *, channel, key, now=None):
    """A member's own claim (H5, a link or QR): only templates offered free; points and money have their own way."""
    template = get_owned(session, CouponTemplate, merchant.id, template_id)
    if not template.free_claim:
        raise Conflict("该券需要购买" if template.price else "该券需要积分兑换，请在领券中心兑换")
    return claim(session, merchant, template.id, member_id, channel=channel, key=key, now=now)


def check_usable(session, code, store_id, now=None, tz_name=None):
    """None when the code may be used in this store now; otherwise the reason, in Chinese."""
    template = code.template
    store_ok = template.all_stores or any(s.id == store_id for s in template.stores)
    return _why_not(code, template, store_ok, now or now_utc(), tz_name or merchant_timezone(session, code.merchant_id))


def _why_not(code, template, store_ok, now, tz_name):
    time_ok = rules.usable_at(now, tz_name, template.weekdays or (), template.start_minute, template.end_minute)
    return rules.why_not_usable(code.state, code.starts_at, code.ends_at, now, store_ok, time_ok)


def verify(session, actor, typed_code, *, store_id, method, key, amount_received=0, now=None):
    """Use a code at the till. Exactly one of many concurrent attempts succeeds; the rest learn who used it.

    The actor is a staff member or an API key: anything with merchant_id, id and can_act_in(store_id).
    """
    verifications.check_request(method, key)
    verifications.actor_store(session, actor, store_id)  # a store refusal comes before anything about the code
    record = INSTRUMENT.verify_code(session, actor, rules.normalise_code(typed_code), store_id=store_id,
                                    method=method, key=key, amount_received=amount_received, now=now)
    if record is None:
        raise NotFound("券码不存在")
    return record


# What verifying reads of a code and its template, as one plain query (no ORM rows): every verification runs it.
_FACTS = (select(CouponCode.id, CouponCode.code, CouponCode.state, CouponCode.starts_at, CouponCode.ends_at,
                 CouponCode.member_id, CouponCode.template_id, CouponTemplate.title, CouponTemplate.all_stores,
                 CouponTemplate.weekdays, CouponTemplate.start_minute, CouponTemplate.end_minute)
          .join(CouponTemplate, CouponTemplate.id == CouponCode.template_id)
          .where(CouponCode.merchant_id == bindparam("merchant_id")))
_FACTS_BY_CODE = _FACTS.where(CouponCode.code == bindparam("code"))
_FACTS_BY_ID = _FACTS.where(CouponCode.id == bindparam("code_id"))
_TEMPLATE_STORE = select(coupon_template_stores.c.store_id).where(
    coupon_template_stores.c.template_id == bindparam("template_id"),
    coupon_template_stores.c.store_id == bindparam("store_id"))


def _sql_words(words):
    """Constants of the code written into SQL as they are: plain words only."""
    if not all(re.fullmatch(r"[a-z_]+", word) for word in words):
        raise ValueError(f"not plain words: {words}")
    return [literal_column(f"'{word}'") for word in words]


_PRICED_KINDS = _sql_words(PRICED_KINDS)
# A member's available codes that take money off, as plain rows with their template's terms and whether the
# till's store takes them: every till quote and payment. Parameters merchant_id, member_id, now, store_id (and ids,
# for _PRICED_AMONG). The kinds that take money off are written into the SQL: constants, not a list sent each time.
_STORE_OK = (CouponTemplate.all_stores | select(coupon_template_stores.c.store_id).where(
    coupon_template_stores.c.template_id == CouponTemplate.id,
    coupon_template_stores.c.store_id == bindparam("store_id")).exists()).label("store_ok")
_PRICED = (_FACTS.add_columns(CouponTemplate.kind, CouponTemplate.amount_off, CouponTemplate.discount_percent,
                              CouponTemplate.discount_cap, CouponTemplate.min_spend, _STORE_OK)
           .where(CouponCode.member_id == bindparam("member_id"), CouponCode.state == rules.AVAILABLE,
                  CouponCode.ends_at > bindparam("now"), CouponTemplate.kind.in_(_PRICED_KINDS))
           .order_by(CouponCode.id))
_PRICED_AMONG = _PRICED.where(CouponCode.id.in_(bindparam("ids", expanding=True)))


PricedCode = namedtuple("PricedCode", _PRICED.selected_columns.keys())  # a row of _PRICED read with other rows


def priced_codes(among):
    """The statement of a member's priced codes (all of them, or `among` the ids given), for a caller that reads
    them with other rows in one statement; filter what it reads with usable_now."""
    return _PRICED_AMONG if among else _PRICED


def usable_by_member(session, merchant, member_id, store_id, now, ids=None):
    """The member's codes that take money off usable in this store now (state, dates, store, weekday and hours), as
    plain rows of the code and its template's terms, oldest first (the till prices them); `ids`: only these."""
    if ids is not None and not ids:
        return []
    session.flush()  # a plain query does not autoflush
    params = {"merchant_id": merchant.id, "member_id": member_id, "now": now, "store_id": store_id,
              "ids": list(ids or ())}
    rows = direct_sql.rows(session.connection(), priced_codes(ids is not None), params)
    return usable_now([PricedCode(*row) for row in rows], now, merchant.timezone)


def usable_now(rows, now, tz_name):
    """The rows of priced_codes usable now: their dates, store, weekday and hours."""
    return [row for row in rows if _why_not(row, row, row.store_ok, now, tz_name) is None]

# The conditional state change (available -> used) that a verification record depends on, built once since every
# verification runs it.
_USE_CODE = (update(CouponCode).where(CouponCode.id == bindparam("code_id"), CouponCode.state == rules.AVAILABLE)
             .values(state=rules.USED, used_at=bindparam("at"), used_by_id=bindparam("by"),
                     used_store_id=bindparam("store"))
             .returning(CouponCode.id))


def _facts(session, statement, params):
    session.flush()  # a plain query does not autoflush: what the request changed through the ORM is seen
    return session.connection().execute(statement, params).one_or_none()


def _verify(session, actor, facts, *, store_id, method, key, amount_received, now):
    """`facts` is a row of _FACTS. A refusal loads the code itself, to say who used it and when."""
    verifications.check_request(method, key)
    now = now or now_utc()
    store = verifications.actor_store(session, actor, store_id)
    # No look-up of the key first: a repeated request finds its code already used and is answered from the
    # slow path below; a key reused for another code is refused by the unique constraint when recording.
    tz_name = verifications.actor_timezone(session, actor)
    store_ok = facts.all_stores or session.connection().scalar(
        _TEMPLATE_STORE, {"template_id": facts.template_id, "store_id": store.id}) is not None
    reason = _why_not(facts, facts, store_ok, now, tz_name)
    if reason is not None:
        return _replay_or_refuse(session, actor, key, facts.id, reason, tz_name)
    return _use(session, actor, store, facts.id, facts.title, facts.member_id, method=method, key=key,
                amount_received=amount_received, now=now, tz_name=tz_name)


def use_priced(session, actor, code, *, store, method, key, amount_received, now):
    """Use a code the till has just priced in this transaction (a row of usable_by_member, checked at `now`):
    only the conditional state change and the record. Used meanwhile elsewhere: refused."""
    return _use(session, actor, store, code.id, code.title, code.member_id, method=method, key=key,
                amount_received=amount_received, now=now, tz_name=None)


def _use(session, actor, store, code_id, title, member_id, *, method, key, amount_received, now, tz_name):
    """available -> used (one conditional UPDATE), then the verification record."""
    by = verifications.staff_id_of(actor)
    record = verifications.record(session, actor, store=store, instrument_type="coupon", instrument_name=title,
                                  method=method, key=key, member_id=member_id, now=now,
                                  amount_received=amount_received, coupon_code_id=code_id,
                                  gate=(_USE_CODE, {"code_id": code_id, "at": now, "by": by, "store": store.id}))
    if record is None:  # not available any more
        tz_name = tz_name or verifications.actor_timezone(session, actor)
        return _replay_or_refuse(session, actor, key, code_id, "该券已使用", tz_name)
    loaded = session.identity_map.get(identity_key(CouponCode, code_id))
    if loaded is not None:
        # The page that looked the code up holds it: it learns what the UPDATE wrote, without a reload.
        for name, value in (("state", rules.USED), ("used_at", now), ("used_by_id", by), ("used_store_id", store.id)):
            set_committed_value(loaded, name, value)
        session.expire(loaded, ["used_by", "used_store"])
        set_committed_value(record, "coupon_code", loaded)
    return record


def _replay_or_refuse(session, actor, key, code_id, reason, tz_name):
    earlier = verifications.replay(session, actor, key)
    if earlier is not None:
        return earlier
    code = session.get(CouponCode, code_id, populate_existing=True)  # as it is now, for who used it and when
    raise _refusal(code, reason, tz_name)


def undo_verification(session, staff, record, now=None):
    """Put a used code back to available (the instruments module checks who and when)."""
    done = session.execute(
        update(CouponCode).where(CouponCode.id == record.coupon_code_id, CouponCode.state == rules.USED)
        .values(state=rules.move(rules.USED, rules.AVAILABLE), used_at=None, used_by_id=None, used_store_id=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        raise Conflict("券码状态已变化，不能撤销")


def undo(session, staff, verification_id, now=None):
    from services.verification import instruments

    return instruments.undo(session, staff, verification_id, now)


def _refusal(code, reason, tz_name):
    error = Conflict(reason, code=code.code, state=code.state)
    if code.state == rules.USED and code.used_at is not None:
        who = code.used_by.name if code.used_by else "未知员工"
        where = code.used_store.name if code.used_store else ""
        error.message = f"{reason}：{to_local(code.used_at, tz_name):%m-%d %H:%M} 由 {who} 在 {where} 核销"
        error.details.update(used_at=code.used_at.isoformat(), used_by=who, used_store=where)
    return error


def _check_and_take(session, template, member_id):
    if not template.active:
        raise Conflict("该券已停止发放")
    if template.per_member_limit is not None and _held(session, template.id, member_id) >= template.per_member_limit:
        raise Conflict(f"每人限领 {template.per_member_limit} 张，您已领完")
    _take_stock(session, template)


def _held(session, template_id, member_id):
    return session.scalar(select(func.count(CouponCode.id))
                          .where(CouponCode.template_id == template_id, CouponCode.member_id == member_id))


def _take_stock(session, template):
    taken = session.execute(
        update(CouponTemplate).where(CouponTemplate.id == template.id,
                                     (CouponTemplate.stock_total.is_(None))
                                     | (CouponTemplate.stock_issued < CouponTemplate.stock_total))
        .values(stock_issued=CouponTemplate.stock_issued + 1).execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        raise Conflict("券已领完")
    session.expire(template, ["stock_issued"])


def _validity(template):
    return rules.Validity(template.validity_mode, template.valid_from, template.valid_until, template.valid_days,
                          template.valid_after_days or 0)


def _apply_benefit(template, kind, values):
    template.kind = kind
    template.amount_off = values.get("amount_off")
    template.min_spend = values.get("min_spend")
    template.discount_percent = values.get("discount_percent")
    template.discount_cap = values.get("discount_cap")
    template.gift_item = optional_text(values.get("gift_item"), "兑换内容", 60)
    template.event_starts_at = values.get("event_starts_at")
    if kind == "cash" and not (template.amount_off and template.amount_off > 0):
        raise DomainError("代金券须设置减免金额")
    if kind == "discount" and not (template.discount_percent and 1 <= template.discount_percent <= 99):
        raise DomainError("折扣券须设置 0.1 到 9.9 折")
    if kind in ("gift", "groupon") and not template.gift_item:
        raise DomainError("兑换券和团购券须填写兑换内容")
    if kind == "ticket" and template.event_starts_at is None:
        raise DomainError("门票须设置场次时间")


def _apply_limits(template, values):
    stock, limit = values.get("stock_total"), values.get("per_member_limit")
    if stock is not None and not (0 < stock <= 10_000_000 and stock >= (template.stock_issued or 0)):
        raise DomainError("库存须为正数，且不少于已发放数量")
    if limit is not None and not 0 < limit <= 1000:
        raise DomainError("每人限领须在 1 到 1000 之间")
    template.stock_total, template.per_member_limit = stock, limit
    weekdays = sorted({int(d) for d in values.get("weekdays") or ()})
    if any(d not in range(7) for d in weekdays):
        raise DomainError("可用星期不正确")
    start, end = values.get("start_minute"), values.get("end_minute")
    if (start is None) != (end is None) or (start is not None and not 0 <= start < end <= 1440):
        raise DomainError("可用时段不正确")
    template.weekdays, template.start_minute, template.end_minute = weekdays, start, end


def _points_prices(session, merchant_id, raw):
    """{str(level_id): points} for the merchant's levels given a positive price; blank or 0 = may not exchange."""
    prices = {}
    for level_id, value in (raw or {}).items():
        if value in (None, "", 0):
            continue
        if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= MAX_POINTS_PRICE:
            raise DomainError("兑换积分须为正整数")
        prices[str(get_owned(session, Level, merchant_id, level_id).id)] = value
    return prices


def _apply_validity(template, values):
    template.validity_mode = values.get("validity_mode", "relative")
    template.valid_from, template.valid_until = values.get("valid_from"), values.get("valid_until")
    template.valid_days, template.valid_after_days = values.get("valid_days"), values.get("valid_after_days") or 0
    rules.window(_validity(template), now_utc(), "UTC")  # refuses an impossible rule now, not at claim time


class _CouponInstrument:
    """Coupons as the staff page and the API see them (see services/verification/instruments.py)."""

    kind = "coupon"

    # Built once: every look-up and verification runs it; a reused statement skips construction and cache keys.
    _BY_CODE = (select(CouponCode).where(CouponCode.merchant_id == bindparam("merchant_id"),
                                         CouponCode.code == bindparam("code"))
                .options(joinedload(CouponCode.template)))

    def find(self, session, merchant_id, code):
        return session.scalars(self._BY_CODE, {"merchant_id": merchant_id, "code": code}).one_or_none()

    def describe(self, session, code, store_id, now):
        from services.coupons.member_wallet import benefit_text
        template, tz = code.template, merchant_timezone(session, code.merchant_id)
        details = [("类型", rules.KIND_LABELS.get(template.kind, template.kind)), ("优惠", benefit_text(template)),
                   ("有效期", f"{to_local(code.starts_at, tz):%Y-%m-%d} 至 {to_local(code.ends_at, tz):%Y-%m-%d %H:%M}")]
        if template.notes:
            details.append(("使用说明", template.notes))
        if code.state == rules.USED and code.used_at is not None:
            details.append(("核销", _refusal(code, "已使用", tz).message))
        return Lookup(kind=self.kind, kind_label=rules.KIND_LABELS.get(template.kind, "优惠券"), id=code.id,
                      code=code.code, title=template.title, state=code.state,
                      state_label=rules.STATE_LABELS.get(code.state, code.state),
                      reason=check_usable(session, code, store_id, now), member=code.member, details=details)

    def verify(self, session, actor, row_id, *, store_id, method, key, quantity=None, amount=None,
               amount_received=0, now=None):
        try:
            code_id = int(row_id)
        except (TypeError, ValueError):
            raise NotFound("券码不存在") from None
        facts = _facts(session, _FACTS_BY_ID, {"merchant_id": actor.merchant_id, "code_id": code_id})
        if facts is None:
            raise NotFound("券码不存在")
        return _verify(session, actor, facts, store_id=store_id, method=method, key=key,
                       amount_received=amount_received, now=now)

    def verify_code(self, session, actor, code, *, store_id, method, key, quantity=None, amount=None,
                    amount_received=0, now=None):
        """Verify by the (normalised) code in one step, without loading it first; None when it is no coupon."""
        facts = _facts(session, _FACTS_BY_CODE, {"merchant_id": actor.merchant_id, "code": code})
        if facts is None:
            return None
        return _verify(session, actor, facts, store_id=store_id, method=method, key=key,
                       amount_received=amount_received, now=now)

    def undo(self, session, staff, record, now):
        undo_verification(session, staff, record, now)

    def held_by(self, session, member, store_id, now):
        codes = session.scalars(scoped(CouponCode, member.merchant_id)
                                .where(CouponCode.member_id == member.id, CouponCode.state == rules.AVAILABLE,
                                       CouponCode.ends_at > now).order_by(CouponCode.ends_at)).all()
        return [self.describe(session, code, store_id, now) for code in codes]


INSTRUMENT = _CouponInstrument()


# --- voiding bought codes when their order is refunded (services.orders.refunds) ---------------------------------------

def unused_of(session, merchant_id, code_ids, member_id):
    """Of these codes, the ids still available to the member who bought them (not used, transferred or voided)."""
    if not code_ids:
        return []
    return session.scalars(select(CouponCode.id).where(
        CouponCode.merchant_id == merchant_id, CouponCode.id.in_(code_ids), CouponCode.member_id == member_id,
        CouponCode.state == rules.AVAILABLE).order_by(CouponCode.id)).all()


def void_for_refund(session, merchant_id, code_ids, member_id):
    """Void the still-available ones of these codes (a conditional UPDATE: one used at the till at the same
    moment stays used). Returns the ids voided."""
    if not code_ids:
        return []
    return session.scalars(update(CouponCode).where(
        CouponCode.merchant_id == merchant_id, CouponCode.id.in_(code_ids), CouponCode.member_id == member_id,
        CouponCode.state == rules.AVAILABLE).values(state=rules.VOIDED).returning(CouponCode.id)
        .execution_options(synchronize_session=False)).all()
