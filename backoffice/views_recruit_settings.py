"""招募设置: the switch of 邀请有礼 (members' invite links), whether a later guide's code rebinds a member, and the
referral reward table with a live sentence of what it does (services/recruitment/referral_settings.py); and a
member's invited friends with what each brought and the invites that counted for nothing."""
from flask import jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from backoffice import blueprint
from backoffice.common import merchant_id, requires
from backoffice.forms_recruit_settings import RecruitSettingsForm
from backoffice.ui import form_page
from domain.referrals import REFERRAL_EVENT_LABELS, REFERRAL_OUTCOME_LABELS
from extensions import db
from services.members import members as member_service
from services.recruitment import referral_lists, referral_settings
from web.requests import client_ip

PAGE = "backoffice/recruit_settings/settings.html"
INVITEES = "backoffice/recruit_settings/invitees.html"
INVITEES_SHOWN = 200


@blueprint.route("/recruitment/settings", methods=["GET", "POST"])
@requires("recruitment.manage")
def recruit_settings():
    mid = merchant_id()
    stored = referral_settings.get(db.session, mid)
    stored_rewards = referral_settings.rewards_of(stored)
    form = RecruitSettingsForm()
    form.set_coupon_choices(_choices(mid, stored_rewards))
    if not form.is_submitted():
        form.fill(stored, stored_rewards)

    def context():
        rewards = form.rewards_for_preview()
        return {"form": form, "preview": referral_settings.preview_sentence(
            db.session, mid, rewards, invite_enabled=bool(form.invite_enabled.data))}

    return form_page(PAGE, context, lambda: referral_settings.save(
        db.session, current_user, invite_enabled=bool(form.invite_enabled.data),
        rebind_guide_on_scan=bool(form.rebind_guide_on_scan.data), rewards=form.rewards(), ip=client_ip()),
        done=_("招募设置已保存"), back=url_for("backoffice.recruit_settings"))


@blueprint.route("/recruitment/settings/preview")
@requires("recruitment.manage")
def recruit_settings_preview():
    """The sentence for the form's current input (the page's script asks as cells change)."""
    mid = merchant_id()
    form = RecruitSettingsForm(formdata=request.args, meta={"csrf": False})
    form.set_coupon_choices(_choices(mid, {}))
    return jsonify(text=referral_settings.preview_sentence(db.session, mid, form.rewards_for_preview(),
                                                            invite_enabled=bool(form.invite_enabled.data)))


def _choices(mid, rewards):
    """The merchant's active coupons, plus any already in the table (marked when it has stopped)."""
    active = referral_settings.coupon_choices(db.session, mid)
    known = {template_id for template_id, _title in active}
    stopped = [(template_id, _("%(title)s（已停止发放）", title=title))
               for template_id, title in referral_settings.titles(db.session, mid, rewards).items()
               if template_id not in known]
    return active + stopped


@blueprint.route("/members/<int:member_id>/invitees")
@requires("members.view")
def member_invitees(member_id):
    mid = merchant_id()
    member = member_service.get_visible_member(db.session, current_user, member_id)
    return render_template(
        INVITEES, member=member,
        friends=referral_lists.friends_of(db.session, mid, member.id, limit=INVITEES_SHOWN),
        totals=referral_lists.totals_of(db.session, mid, member.id),
        refused=referral_lists.refused_invites(db.session, mid, member.id),
        given=referral_lists.given_for(db.session, mid, member.id), shown_limit=INVITEES_SHOWN,
        event_labels=REFERRAL_EVENT_LABELS, outcome_labels=REFERRAL_OUTCOME_LABELS,
        words=referral_lists.reward_words, show_full_mobile=current_user.can("members.edit"))


@blueprint.context_processor
def referral_helpers():
    # A callable: the member page asks for its one member only (two small counts).
    return {"referral_summary": _summary}


def _summary(member):
    """What the member page says of referrals: how many friends the member invited, and why their own invite
    counted for nothing, if it did."""
    mid = member.merchant_id
    refusal = referral_lists.refusal_of(db.session, mid, member.id)
    return {"friends": referral_lists.friend_count(db.session, mid, member.id),
            "refusal": refusal.note if refusal is not None else None}
