"""Coupon codes for a chunk of members in one INSERT … SELECT.

The rows (member, ordinal, code) come from Python as arrays: the codes are 80 bits from `secrets` each
(domain.coupons.new_codes). The statement itself keeps every rule:
- stock: the template row is locked for the chunk and the insert is LIMITed to what remains; stock_issued then
  grows by the rows actually inserted;
- the per-member limit: the members' rows are locked (the order a single claim locks them in, so a member claiming
  in H5 meanwhile waits or is waited for) and a member's existing codes are counted in the statement;
- once only: each code's idempotency key names the occasion (`bulk:7:1234`, `c3:2026:1234:9:1`) under the unique
  (merchant, key) constraint, and ON CONFLICT DO NOTHING skips what an earlier attempt already gave.
A code that collides with another (a 2^-80 chance per pair) fails the whole statement; the chunk is tried again
with fresh codes.
"""
import json
from dataclasses import dataclass

from sqlalchemy import bindparam, select, text
from sqlalchemy.exc import IntegrityError

from domain import coupons as rules
from models import CouponTemplate
from models.base import UTCDateTime
from services.alipay_vouchers import hooks as alipay_vouchers
from services.coupons import templates as coupon_templates

ATTEMPTS = 3

_ROWS = {
    "postgresql": "unnest(CAST(:members AS integer[]), CAST(:ordinals AS integer[]), CAST(:codes AS text[])) "
                  "AS r(member_id, n, code)",
    "sqlite": "(SELECT json_extract(value, '$[0]') AS member_id, json_extract(value, '$[1]') AS n, "
              "json_extract(value, '$[2]') AS code FROM json_each(:rows)) AS r",
}
_INSERT = """
INSERT INTO coupon_codes (merchant_id, template_id, member_id, code, state, channel, idempotency_key, starts_at,
                          ends_at, created_at, campaign_id)
SELECT :merchant_id, :template_id, r.member_id, r.code, 'available', :channel,
       :prefix || r.member_id || {suffix}, :starts_at, :ends_at, :now, :campaign_id
FROM {rows}
WHERE {held}
ORDER BY r.member_id, r.n
{limit}
ON CONFLICT (merchant_id, idempotency_key) DO NOTHING
RETURNING member_id
"""
# A member's codes of the template before this chunk, plus the ordinal of this one, within the limit.
_HELD = ("(SELECT count(*) FROM coupon_codes h WHERE h.template_id = :template_id AND h.member_id = r.member_id)"
         " + r.n <= :per_member")
_LOCK_MEMBERS = {
    "postgresql": "SELECT id FROM members WHERE merchant_id = :merchant_id AND id = ANY(CAST(:members AS integer[]))"
                  " ORDER BY id FOR UPDATE",
    "sqlite": None,  # SQLite has one writer at a time: the transaction already excludes every other claim
}
_STATEMENTS = {}


@dataclass(frozen=True)
class Issued:
    member_ids: list  # one entry per code inserted (a member given 2 codes appears twice)
    stop: str | None = None  # why no later chunk can get this template either

OUT_OF_STOCK, STOPPED = "券已领完", "该券已停止发放"


@dataclass(frozen=True)
class Occasion:
    """What names the codes of one issue: the key prefix (the member id and, for several per member, the
    ordinal follow), the channel, and the campaign when one gave them."""
    prefix: str
    channel: str
    campaign_id: int | None = None
    numbered: bool = False  # keys end with ':<template>:<n>' (a campaign may give several templates)


def issue(session, merchant, template_id, member_ids, occasion, *, per_member=1, now, limit=None):
    """Give `per_member` codes of the template to each member (ids ascending, each once); returns Issued.

    `limit` caps the codes this chunk may give (a campaign's remaining budget), on top of the template's stock.
    The caller holds the transaction; codes, stock and its own resume point commit together."""
    if not member_ids:
        return Issued([])
    dialect = session.get_bind().dialect.name
    template, remaining, stop = open_template(session, merchant.id, template_id)
    if stop:
        return Issued([], stop)
    room = _smallest(remaining, limit)
    if room is not None and room <= 0:
        return Issued([])
    if template.per_member_limit is not None and _LOCK_MEMBERS[dialect]:
        session.execute(text(_LOCK_MEMBERS[dialect]), {"merchant_id": merchant.id, "members": list(member_ids)})
    starts_at, ends_at = rules.window(coupon_templates.validity(template), now, merchant.timezone)
    statement = _statement(dialect, template.per_member_limit is not None, room is not None, occasion.numbered)
    params = {"merchant_id": merchant.id, "template_id": template.id, "channel": occasion.channel,
              "prefix": occasion.prefix, "campaign_id": occasion.campaign_id, "starts_at": starts_at,
              "ends_at": ends_at, "now": now, "per_member": template.per_member_limit, "room": room}
    given = _insert(session, dialect, statement, params, member_ids, per_member)
    take_stock(session, template, len(given))
    if given:
        alipay_vouchers.codes_issued(session, merchant.id, template.id)  # one job after the commit
    return Issued(given, OUT_OF_STOCK if remaining is not None and len(given) >= remaining else None)


def open_template(session, merchant_id, template_id):
    """(the template locked for the chunk, the stock left or None for unlimited, a stop reason or None)."""
    template = _lock_template(session, merchant_id, template_id)
    if template is None or not template.active:
        return template, None, STOPPED
    remaining = None if template.stock_total is None else template.stock_total - template.stock_issued
    if remaining is not None and remaining <= 0:
        return template, remaining, OUT_OF_STOCK
    return template, remaining, None


def take_stock(session, template, issued):
    if issued:
        session.execute(text("UPDATE coupon_templates SET stock_issued = stock_issued + :n WHERE id = :id"),
                        {"n": issued, "id": template.id})
        session.expire(template, ["stock_issued"])


def _insert(session, dialect, statement, params, member_ids, per_member):
    members = [m for m in member_ids for _ in range(per_member)]
    ordinals = list(range(1, per_member + 1)) * len(member_ids)
    for attempt in range(ATTEMPTS):
        codes = rules.new_codes(len(members))
        rows = ({"members": members, "ordinals": ordinals, "codes": codes} if dialect == "postgresql"
                else {"rows": json.dumps(list(zip(members, ordinals, codes)))})
        try:
            with session.begin_nested():
                return list(session.scalars(statement, params | rows))
        except IntegrityError:
            if attempt == ATTEMPTS - 1:
                raise


def _statement(dialect, limited_per_member, limited_total, numbered):
    key = (dialect, limited_per_member, limited_total, numbered)
    if key not in _STATEMENTS:
        sql = _INSERT.format(rows=_ROWS[dialect], held=_HELD if limited_per_member else "1 = 1",
                             suffix="':' || :template_id || ':' || r.n" if numbered else "''",
                             limit="LIMIT :room" if limited_total else "")
        _STATEMENTS[key] = text(sql).bindparams(bindparam("starts_at", type_=UTCDateTime()),
                                                bindparam("ends_at", type_=UTCDateTime()),
                                                bindparam("now", type_=UTCDateTime()))
    return _STATEMENTS[key]


def _lock_template(session, merchant_id, template_id):
    return session.scalars(select(CouponTemplate).where(CouponTemplate.merchant_id == merchant_id,
                                                        CouponTemplate.id == template_id)
                           .with_for_update().execution_options(populate_existing=True)).one_or_none()


def _smallest(*values):
    present = [v for v in values if v is not None]
    return min(present) if present else None
