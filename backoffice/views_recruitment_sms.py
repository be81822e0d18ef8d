"""招募推广 · 短信邀请: the operator types phone numbers and a short text; each number that is not a member, did not
reply T and was not invited lately gets one SMS with the 'sms' channel's tracked link (services/recruitment/
invitations.py applies the marketing SMS rules; the key minted with the form makes a double submit send once)."""
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from backoffice import blueprint
from backoffice.common import merchant_id, requires
from backoffice.forms_recruitment import SmsInviteForm
from backoffice.views_recruitment import chosen_args, owner_value, picked, short_link_of, target_value
from domain.errors import DomainError
from domain.outreach import OPT_OUT_TAIL, SMS_MAX_CHARS, signature
from extensions import db
from services.outreach import settings as messaging_settings
from services.recruitment import invitations, promotion
from web.requests import new_idempotency_key

PAGE = "backoffice/recruitment/sms.html"


@blueprint.route("/recruitment/sms", methods=["GET", "POST"])
@requires("recruitment.manage")
def recruitment_sms():
    owner, target = picked()
    session, mid = db.session, merchant_id()
    source = promotion.channel_source(session, owner, "sms", target)
    link = short_link_of(source)
    form = SmsInviteForm()
    if not form.is_submitted():
        form.key.data = new_idempotency_key("recruit-sms")  # minted at render: a double submit sends once
        form.body.data = invitations.DEFAULT_BODY
    args = chosen_args(owner, target)

    def page(status=200):
        return render_template(
            PAGE, form=form, owner=owner, target=target, link=link, args=args, owner_value=owner_value(owner),
            target_value=target_value(target), stores=promotion.active_stores(session, mid),
            staff=promotion.recruiting_staff(session, mid), templates=promotion.membership_templates(session, mid),
            signature=signature(messaging_settings.signature_of(session, mid)), tail=OPT_OUT_TAIL,
            max_chars=SMS_MAX_CHARS, room=invitations.room_for_body(session, mid, link),
            quiet=invitations.in_quiet_hours(current_user.merchant), batches=invitations.recent_batches(session, mid),
            recent_days=invitations.RECENT_DAYS, max_numbers=invitations.MAX_NUMBERS), status

    if not form.is_submitted():
        return page()
    if not form.validate():
        return page(400)
    try:
        batch, replayed = invitations.send(session, current_user, key=form.key.data, source=source, link=link,
                                           body=form.body.data, numbers_text=form.mobiles.data)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "warning")
        return page(exc.http_status)
    flash(_summary(batch, replayed), "success")
    return redirect(url_for("backoffice.recruitment_sms", **args))


def _summary(batch, replayed):
    said = _("已发送 %(sent)s 条邀请短信", sent=batch.sent)
    parts = []
    if batch.skipped_member:
        parts.append(_("已是会员 %(n)s 个", n=batch.skipped_member))
    if batch.skipped_opted_out:
        parts.append(_("已退订 %(n)s 个", n=batch.skipped_opted_out))
    if batch.skipped_recent:
        parts.append(_("%(days)s 天内已邀请过 %(n)s 个", days=invitations.RECENT_DAYS, n=batch.skipped_recent))
    if parts:
        said += _("；未发送：%(parts)s", parts="，".join(parts))
    if replayed:
        said = _("这批邀请已经发送过，没有重复发送。") + said
    return said
