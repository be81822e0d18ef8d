"""Codes for members a query picks (a campaign chunk's targets), one statement per template on PostgreSQL.

Like services/issuance/coupon_walk.py, but for several codes per member and named per occasion: the picked
members (locked when the template has a per-member limit) are numbered, crossed with 1..count, each row cuts its
code out of one bytea parameter, and the insert keeps the per-member limit, the stock or budget (LIMIT) and the
idempotency key (ON CONFLICT DO NOTHING: a campaign key may have been given by the member's own earlier check).
It answers the member id of each code inserted. No list of ids travels to the database and back, which the
list form (services/issuance/coupons.py) spends a third of its time on. SQLite takes the list form.
"""
from sqlalchemy import Integer, LargeBinary, String, bindparam, cast, func, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from domain import coupons as rules
from models import CouponCode, Member
from models.base import UTCDateTime
from services.coupons import templates as coupon_templates
from services.issuance import coupons
from services.issuance.coupon_walk import with_fresh_codes

COLUMNS = ("merchant_id", "template_id", "member_id", "code", "state", "channel", "idempotency_key", "starts_at",
           "ends_at", "created_at", "campaign_id")


def issue_to(session, merchant, template_id, picked, occasion, *, count, per_member=1, now, limit=None):
    """`per_member` codes of the template to each member `picked` (a select of one column of member ids, at most
    `count` of them); returns coupons.Issued like coupons.issue."""
    if count <= 0:
        return coupons.Issued([])
    if session.get_bind().dialect.name != "postgresql":
        return coupons.issue(session, merchant, template_id, list(session.scalars(picked)), occasion,
                             per_member=per_member, now=now, limit=limit)
    template, remaining, stop = coupons.open_template(session, merchant.id, template_id)
    if stop:
        return coupons.Issued([], stop)
    room = min(v for v in (remaining, limit) if v is not None) if (remaining, limit) != (None, None) else None
    if room is not None and room <= 0:
        return coupons.Issued([])
    if template.per_member_limit is not None:
        picked = picked.with_for_update(of=Member)
    statement = _statement(merchant, template, picked, occasion, per_member, room, now)
    given = with_fresh_codes(session, count * per_member,
                             lambda codes: list(session.scalars(statement, {"codes": codes})))
    coupons.take_stock(session, template, len(given))
    out = remaining is not None and len(given) >= remaining
    return coupons.Issued(given, coupons.OUT_OF_STOCK if out else None)


def _statement(merchant, template, picked, occasion, per_member, room, now):
    chosen = picked.cte("chosen")
    member = chosen.c[0]
    numbered = select(member.label("id"), func.row_number().over(order_by=member).label("i")).cte("numbered")
    ordinal = func.generate_series(1, per_member).table_valued("n").render_derived()
    slot = (numbered.c.i - 1) * per_member + ordinal.c.n  # 1-based position of this code in the bytea
    start = cast((slot - 1) * rules.CODE_LENGTH + 1, Integer)
    code = func.encode(func.substr(bindparam("codes", type_=LargeBinary), start, rules.CODE_LENGTH), "escape")
    key = literal(occasion.prefix) + cast(numbered.c.id, String)
    if occasion.numbered:
        key = key + literal(f":{template.id}:") + cast(ordinal.c.n, String)
    starts_at, ends_at = rules.window(coupon_templates.validity(template), now, merchant.timezone)
    rows = (select(literal(merchant.id), literal(template.id), numbered.c.id, code, literal(rules.AVAILABLE),
                   literal(occasion.channel), key, literal(starts_at, UTCDateTime()), literal(ends_at, UTCDateTime()),
                   literal(now, UTCDateTime()), literal(occasion.campaign_id, Integer))
            .select_from(numbered).join(ordinal, literal(True)))
    if template.per_member_limit is not None:
        held = (select(func.count()).select_from(CouponCode)
                .where(CouponCode.template_id == template.id, CouponCode.member_id == numbered.c.id)
                .scalar_subquery())
        rows = rows.where(held + ordinal.c.n <= template.per_member_limit)
    if room is not None:
        rows = rows.order_by(numbered.c.id, ordinal.c.n).limit(room)
    inserted = (pg_insert(CouponCode).from_select(list(COLUMNS), rows)
                .on_conflict_do_nothing(index_elements=["merchant_id", "idempotency_key"])
                .returning(CouponCode.member_id).cte("inserted"))
    return select(inserted.c.member_id)
