"""Finding a member from the staff page's look-up form (their QR, mobile or card number, typed, scanned or swiped),
shared by the 会员 tab and 门店充值: one rate limit on misses, so mobiles cannot be guessed through either page."""
from flask import g
from flask_babel import gettext as _
from flask_login import current_user

from domain.errors import DomainError, NotFound
from extensions import db
from services.till import checkout as checkout_service
from staff_h5 import limits
from web import boundary
from web.requests import client_ip


class LookupFailed(Exception):
    """The look-up found nobody: `error` (None when the form itself says why) and the HTTP status to answer with."""

    def __init__(self, error, status):
        super().__init__(error)
        self.error = error
        self.status = status


def identify_member(form):
    """(member, refusal) for a submitted LookupForm; raises LookupFailed on a bad form, a blocked device or a miss
    (only a miss counts towards the limit)."""
    if not form.validate_on_submit():
        raise LookupFailed(None, 400)
    if limits.is_blocked(db.session, current_user, g.device_id):
        raise LookupFailed(_("查询失败次数过多，请稍后再试"), 429)
    try:
        return checkout_service.identify(db.session, current_user.merchant, form.code.data)
    except DomainError as exc:
        db.session.rollback()
        if isinstance(exc, NotFound):
            limits.record_failure(db.session, current_user, g.device_id, form.code.data or "", ip=client_ip())
            boundary.keep_on_error()
        raise LookupFailed(exc.message, exc.http_status) from exc
