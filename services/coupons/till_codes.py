"""Coupon codes at the till: which of a member's codes take money off a sale here and now (the till's quote and
payment read them with the member, services/till/quote.py), and using a code (verification by its code or id,
a code the till has just priced, undo).

Verifying is a conditional update on the code's state: it never reads, decides, then writes. What verifying and
pricing read of a code and its template is plain SQL built once (no ORM rows), since every verification and every
till payment runs it.
"""
import re
from collections import namedtuple

from sqlalchemy import bindparam, literal_column, select, update
from sqlalchemy.orm.util import identity_key
from sqlalchemy.orm.attributes import set_committed_value

from domain import coupons as rules
from domain.clock import now_utc, to_local
from domain.errors import Conflict, NotFound
from domain.pricing_types import PRICED_KINDS
from models import CouponCode, CouponTemplate
from models.coupons import coupon_template_stores
from services.alipay_vouchers import hooks as alipay_vouchers
from services.shared import direct_sql
from services.shared.tenancy import merchant_timezone
from services.verification import records as verifications


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
    record = verify_code(session, actor, rules.normalise_code(typed_code), store_id=store_id, method=method, key=key,
                         amount_received=amount_received, now=now)
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
                amount_received=amount_received, now=now, tz_name=tz_name, template_id=facts.template_id)


def use_priced(session, actor, code, *, store, method, key, amount_received, now):
    """Use a code the till has just priced in this transaction (a row of usable_by_member, checked at `now`):
    only the conditional state change and the record. Used meanwhile elsewhere: refused. Its key derives from the
    checkout the transaction inserted (`checkout:<id>:coupon:<code id>`): nobody else can hold it."""
    return _use(session, actor, store, code.id, code.title, code.member_id, method=method, key=key,
                amount_received=amount_received, now=now, tz_name=None, key_is_ours=True,
                template_id=code.template_id)


def _use(session, actor, store, code_id, title, member_id, *, method, key, amount_received, now, tz_name,
         key_is_ours=False, template_id=None):
    """available -> used (one conditional UPDATE), then the verification record."""
    by = verifications.staff_id_of(actor)
    record = verifications.record(session, actor, store=store, instrument_type="coupon", instrument_name=title,
                                  method=method, key=key, member_id=member_id, now=now,
                                  amount_received=amount_received, coupon_code_id=code_id,
                                  gate=(_USE_CODE, {"code_id": code_id, "at": now, "by": by, "store": store.id}),
                                  key_is_ours=key_is_ours)
    if record is None:  # not available any more
        tz_name = tz_name or verifications.actor_timezone(session, actor)
        return _replay_or_refuse(session, actor, key, code_id, "该券已使用", tz_name)
    alipay_vouchers.code_changed(session, actor.merchant_id, code_id, template_id)  # Alipay follows, after commit
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
    alipay_vouchers.code_changed(session, staff.merchant_id, record.coupon_code_id)


def _refusal(code, reason, tz_name):
    error = Conflict(reason, code=code.code, state=code.state)
    if code.state == rules.USED and code.used_at is not None:
        who = code.used_by.name if code.used_by else "未知员工"
        where = code.used_store.name if code.used_store else ""
        error.message = f"{reason}：{to_local(code.used_at, tz_name):%m-%d %H:%M} 由 {who} 在 {where} 核销"
        error.details.update(used_at=code.used_at.isoformat(), used_by=who, used_store=where)
    return error


def verify_code(session, actor, code, *, store_id, method, key, amount_received=0, now=None):
    """Verify by the (normalised) code in one step, without loading it first; None when it is no coupon."""
    facts = _facts(session, _FACTS_BY_CODE, {"merchant_id": actor.merchant_id, "code": code})
    if facts is None:
        return None
    return _verify(session, actor, facts, store_id=store_id, method=method, key=key,
                   amount_received=amount_received, now=now)


def verify_id(session, actor, row_id, *, store_id, method, key, amount_received=0, now=None):
    """Verify the code with this id (the staff page confirms what it looked up)."""
    try:
        code_id = int(row_id)
    except (TypeError, ValueError):
        raise NotFound("券码不存在") from None
    facts = _facts(session, _FACTS_BY_ID, {"merchant_id": actor.merchant_id, "code_id": code_id})
    if facts is None:
        raise NotFound("券码不存在")
    return _verify(session, actor, facts, store_id=store_id, method=method, key=key,
                   amount_received=amount_received, now=now)


def used_text(code, tz_name):
    """'已使用：<when> 由 <staff> 在 <store> 核销' for a used code, as the staff page shows it."""
    return _refusal(code, "已使用", tz_name).message
