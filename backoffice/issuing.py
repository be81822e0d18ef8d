"""Giving a coupon or card to a member by mobile: one flow for every kind, each kind bringing its own issue call."""
from flask_babel import gettext as _
from sqlalchemy import select

from backoffice.common import merchant_id
from web.requests import new_idempotency_key
from backoffice.ui import form_page
from extensions import db
from models import Member


def issue_to_member(page, context, key_prefix, issue, *, back, done=None):
    """Show `page` with a fresh idempotency key; on POST find this merchant's member by the form's mobile and
    call `issue(member_id)`. A refusal shows the form again; success says `done(result)` (by default
    "given to <mobile>") and redirects to `back`.
    """
    form = context["form"]
    if not form.is_submitted():
        form.key.data = new_idempotency_key(key_prefix)  # minted at render, so a double submit issues once
    member = {}

    def member_known():
        member["id"] = member_with_mobile(form.mobile.data)
        if member["id"] is None:
            form.mobile.errors.append(_("没有这个手机号的会员"))
        return member["id"] is not None

    return form_page(page, context, lambda: issue(member["id"]), ok=member_known, back=back,
                     done=done or (lambda _result: _("已发放给会员 %(mobile)s", mobile=form.mobile.data)))


def member_with_mobile(mobile):
    """The id of the signed-in merchant's member with this mobile, or None: never another merchant's member."""
    return db.session.scalar(select(Member.id).where(Member.merchant_id == merchant_id(), Member.mobile == mobile))
