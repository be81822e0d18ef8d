"""The member's coupon wallet, read side: claimable templates, the member's codes by tab, and the code's QR token.

A code still marked available whose ends_at has passed is shown as expired (the state is not written here).
The code QR carries a token signed with the app secret, valid 60 seconds like the member QR, so a screenshot
goes stale; `resolve_code_token` checks signature, merchant, age and that the code is still the member's.
"""
from dataclasses import dataclass, field

from sqlalchemy import func, select

from domain import coupons as rules
from domain.clock import now_utc
from domain.errors import NotFound
from models import CouponCode, CouponTemplate
from services.verification import qr as instrument_qr
from services.coupons.exchange import price_for
from services.shared.tenancy import scoped

VALID_SECONDS = instrument_qr.VALID_SECONDS
CouponQrInvalid, CouponQrExpired = instrument_qr.InstrumentQrInvalid, instrument_qr.InstrumentQrExpired


@dataclass
class Claimable:
    template: CouponTemplate
    stock_left: int | None  # None = unlimited
    held: int
    allowance: int | None  # how many more this member may claim; None = no per-member limit
    points_price: int | None = None  # what this member's level pays in points; None = not for points

    @property
    def by_points(self):
        """Offered for points rather than free (a template both free and priced is claimed free)."""
        return not self.template.free_claim and not self.template.price and bool(self.template.points_prices)

    @property
    def for_sale(self):
        """Sold for money (bought through the payment flow), not claimed free or for points."""
        return not self.template.free_claim and bool(self.template.price)

    @property
    def sold_out(self):
        return self.stock_left is not None and self.stock_left <= 0

    @property
    def can_claim(self):
        return not self.sold_out and (self.allowance is None or self.allowance > 0)


@dataclass
class Wallet:
    usable: list = field(default_factory=list)
    used: list = field(default_factory=list)
    expired: list = field(default_factory=list)  # (code, reason)


def benefit_text(template):
    """满100减20 / 减20元 / 8.5折 / 兑换：拿铁."""
    if template.kind == "cash" and template.amount_off:
        off = _whole_yuan(template.amount_off)
        return f"满{_whole_yuan(template.min_spend)}减{off}" if template.min_spend else f"减{off}元"
    if template.kind == "discount" and template.discount_percent:
        whole, part = divmod(int(template.discount_percent), 10)
        text = f"{whole}.{part}折" if part else f"{whole}折"
        return f"满{_whole_yuan(template.min_spend)}享{text}" if template.min_spend else text
    if template.gift_item:
        return f"兑换：{template.gift_item}"
    return rules.KIND_LABELS.get(template.kind, template.kind)


def _whole_yuan(fen):
    whole, part = divmod(int(fen), 100)
    return f"{whole}.{part:02d}".rstrip("0").rstrip(".") if part else str(whole)


def claimable(session, merchant_id, member_id, level_id=None):
    """Active templates offered free or for points, with stock left, the member's allowance and points price."""
    templates = [t for t in session.scalars(scoped(CouponTemplate, merchant_id)
                                            .where(CouponTemplate.active.is_(True))
                                            .order_by(CouponTemplate.id.desc())).all()
                 if t.free_claim or t.points_prices or t.price]
    held = dict(session.execute(
        select(CouponCode.template_id, func.count(CouponCode.id))
        .where(CouponCode.merchant_id == merchant_id, CouponCode.member_id == member_id)
        .group_by(CouponCode.template_id)).all())
    rows = []
    for template in templates:
        mine = held.get(template.id, 0)
        stock_left = None if template.stock_total is None else max(0, template.stock_total - template.stock_issued)
        allowance = None if template.per_member_limit is None else max(0, template.per_member_limit - mine)
        rows.append(Claimable(template, stock_left, mine, allowance, price_for(template, level_id)))
    return rows


def wallet_of(session, merchant_id, member_id, now=None):
    """The member's codes in three tabs: usable (soonest to end first), used (latest first), expired (latest first)."""
    now = now or now_utc()
    codes = session.scalars(scoped(CouponCode, merchant_id).where(CouponCode.member_id == member_id)
                            .order_by(CouponCode.id.desc())).all()
    result = Wallet()
    for code in codes:
        if code.state == rules.AVAILABLE and code.ends_at > now:
            result.usable.append(code)
        elif code.state == rules.USED:
            result.used.append(code)
        elif code.state == rules.AVAILABLE or code.state == rules.EXPIRED:
            result.expired.append((code, rules.STATE_LABELS[rules.EXPIRED]))
        elif code.state == rules.TRANSFERRED:
            result.expired.append((code, "已转赠给好友"))
        else:  # voided
            result.expired.append((code, rules.STATE_LABELS.get(code.state, code.state)))
    result.usable.sort(key=lambda c: (c.ends_at, c.id))
    result.used.sort(key=lambda c: (c.used_at or c.created_at, c.id), reverse=True)
    result.expired.sort(key=lambda pair: (pair[0].ends_at, pair[0].id), reverse=True)
    return result


def member_code(session, merchant_id, member_id, code_id):
    """One code of this member at this merchant; NotFound for anyone else's."""
    code = session.scalars(scoped(CouponCode, merchant_id)
                           .where(CouponCode.id == code_id, CouponCode.member_id == member_id)).one_or_none()
    if code is None:
        raise NotFound("券不存在")
    return code


def code_token(code, now=None):
    """A fresh signed token for the code's QR."""
    return instrument_qr.token(code, now)


def resolve_code_token(session, merchant_id, token, now=None):
    """The code the token names, at this merchant, still held by the member it was shown to."""
    typed, member_id = instrument_qr.resolve(merchant_id, token, now)
    code = session.scalars(scoped(CouponCode, merchant_id).where(CouponCode.code == typed)).one_or_none()
    if code is None or code.member_id != member_id:
        raise instrument_qr.InstrumentQrInvalid("券码无效")
    return code
