"""邀请好友 (老会员推荐): the member's own invite QR and link, what they and their friends get, and the friends who
joined through them with what each brought. Open while the merchant's 邀请有礼 is on (services/recruitment)."""
from flask import g, render_template, url_for
from flask_babel import gettext as _

from extensions import db
from member_h5 import blueprint
from member_h5.common import member_required, message_page, public_url
from services.members import qr as member_qr
from services.recruitment import referral_lists, referral_settings, sources
from services.rewards import gifts as gift_rules

FRIENDS_SHOWN = 100


@blueprint.route("/member/invite")
@member_required
def invite():
    merchant, member = g.merchant, g.member
    if not referral_settings.invite_enabled(db.session, merchant.id):
        return message_page(_("邀请好友"), _("商家暂未开启邀请好友活动"), 404, icon="info",
                            link=url_for("member_h5.centre"), link_text=_("返回会员卡"))
    link = public_url("member_h5.join_link", token=sources.for_member(db.session, member).token)
    friends = referral_lists.friends_of(db.session, merchant.id, member.id, limit=FRIENDS_SHOWN)
    return render_template(
        "member_h5/invite/invite.html", member=member, link=link,
        qr_svg=member_qr.svg(link, border=1, label=_("邀请二维码")),
        my_rewards=referral_settings.what_members_get(db.session, merchant.id),
        friend_gets=gift_rules.pending_offer(db.session, merchant, "registration"),
        totals=referral_lists.totals_of(db.session, merchant.id, member.id), friends=friends,
        shown_limit=FRIENDS_SHOWN)


def invite_open():
    """Whether the member pages offer 邀请好友 (the centre's tile, 我的)."""
    return referral_settings.invite_enabled(db.session, g.merchant.id)


@blueprint.context_processor
def invite_helpers():
    # A callable: only the pages that show the entry pay for its one-row read.
    return {"invite_open": invite_open}
