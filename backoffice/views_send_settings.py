"""群发设置: the SMS signature, the merchant's own sensitive words, and whether a new send falls back to SMS when
WeChat cannot reach a member (services/outreach/settings.py)."""
from flask import request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from backoffice import blueprint
from backoffice.common import merchant_id, requires
from backoffice.forms_sends import MessagingSettingsForm
from backoffice.ui import form_page
from domain.outreach import OPT_OUT_TAIL, SMS_MAX_CHARS, signature
from extensions import db
from services.outreach import settings as outreach_settings

PAGE = "backoffice/sends/settings.html"


@blueprint.route("/sends/settings", methods=["GET", "POST"])
@requires("sends.manage")
def send_settings():
    mid = merchant_id()
    if request.method == "POST":
        form = MessagingSettingsForm()
    else:
        row = outreach_settings.get(db.session, mid)
        form = MessagingSettingsForm(data={"sms_signature": row.sms_signature, "own_words": "\n".join(row.own_words),
                                           "sms_fallback": row.sms_fallback,
                                           "campaign_messages_per_week": str(row.campaign_messages_per_week)})

    def context():
        return {"form": form, "signature": signature(outreach_settings.signature_of(db.session, mid)),
                "tail": OPT_OUT_TAIL, "max_chars": SMS_MAX_CHARS}

    return form_page(PAGE, context, lambda: outreach_settings.save(
        db.session, current_user, sms_signature=form.sms_signature.data, own_words_text=form.own_words.data,
        sms_fallback=bool(form.sms_fallback.data),
        campaign_messages_per_week=form.campaign_messages_per_week.data), done=_("群发设置已保存"), back=url_for("backoffice.send_settings"))
