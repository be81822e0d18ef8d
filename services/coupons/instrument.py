"""Coupons as the staff page and the API see them: the adapter that services/verification/instruments.py lists
(find by code, describe with the benefit and validity, verify by code or id, undo, what a member holds)."""
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from domain import coupons as rules
from domain.clock import to_local, until_text
from models import CouponCode
from services.coupons import till_codes
from services.coupons.member_wallet import benefit_text
from services.shared.tenancy import merchant_timezone, scoped
from services.verification.lookup import Lookup


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
        template, tz = code.template, merchant_timezone(session, code.merchant_id)
        details = [("类型", rules.KIND_LABELS.get(template.kind, template.kind)), ("优惠", benefit_text(template)),
                   ("有效期", f"{to_local(code.starts_at, tz):%Y-%m-%d} 至 {until_text(code.ends_at, tz)}")]
        if template.notes:
            details.append(("使用说明", template.notes))
        if code.state == rules.USED and code.used_at is not None:
            details.append(("核销", till_codes.used_text(code, tz)))
        return Lookup(kind=self.kind, kind_label=rules.KIND_LABELS.get(template.kind, "优惠券"), id=code.id,
                      code=code.code, title=template.title, state=code.state,
                      state_label=rules.STATE_LABELS.get(code.state, code.state),
                      reason=till_codes.check_usable(session, code, store_id, now), member=code.member, details=details)

    def verify(self, session, actor, row_id, *, store_id, method, key, quantity=None, amount=None,
               amount_received=0, now=None):
        return till_codes.verify_id(session, actor, row_id, store_id=store_id, method=method, key=key,
                                    amount_received=amount_received, now=now)

    def verify_code(self, session, actor, code, *, store_id, method, key, quantity=None, amount=None,
                    amount_received=0, now=None):
        """Verify by the (normalised) code in one step, without loading it first; None when it is no coupon."""
        return till_codes.verify_code(session, actor, code, store_id=store_id, method=method, key=key,
                                      amount_received=amount_received, now=now)

    def undo(self, session, staff, record, now):
        till_codes.undo_verification(session, staff, record, now)

    def held_by(self, session, member, store_id, now):
        codes = session.scalars(scoped(CouponCode, member.merchant_id)
                                .where(CouponCode.member_id == member.id, CouponCode.state == rules.AVAILABLE,
                                       CouponCode.ends_at > now).order_by(CouponCode.ends_at)).all()
        return [self.describe(session, code, store_id, now) for code in codes]


INSTRUMENT = _CouponInstrument()
