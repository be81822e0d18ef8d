"""会员详情 on the staff page (seed 004 5.2 移动POS会员查询): after finding a member on the 会员 tab, the counter sees
who they are (phone, WeChat, Alipay, physical cards), their level and how far the next one is, balance (principal
and bonus), points with the soonest expiry, how many coupons and cards they hold, and their last 20 records.

Roles that may view members see any member of the merchant; a guide sees only their own (404 otherwise, as in the
back office); a verifier is told they may not."""
from flask import abort, render_template
from flask_babel import gettext as _
from flask_login import current_user

from domain import levels as level_rules
from domain.clock import now_utc
from domain.errors import NotFound
from extensions import db
from services.members import holdings, levels as level_service, members as member_service, timeline
from services.points import ledger as points_ledger
from services.wallet import journal as wallet_service
from staff_h5 import blueprint
from staff_h5.forms import ActionForm
from staff_h5.views import staff_required

RECENT = 20


@blueprint.route("/members/<int:member_id>/detail")
@staff_required
def member_detail(member_id):
    if not current_user.can("members.view"):
        return render_template("staff_h5/message.html", title=_("无法查看会员"), icon="warn",
                               text=_("你的角色不能查看会员详情"), logout=ActionForm()), 403
    try:
        member = member_service.get_visible_member(db.session, current_user, member_id)
    except NotFound:
        abort(404)
    mid = current_user.merchant_id
    levels = level_service.list_levels(db.session, mid)
    current_rank = member.level.rank if member.level is not None else None
    target, gaps = level_rules.next_level_gaps(current_rank, [lv.to_rule() for lv in levels],
                                               level_rules.MemberProgress.of(member))
    now = now_utc()
    lots = [lot for lot in points_ledger.lots_of(db.session, mid, member.id) if lot.remaining > 0]
    expiring = min((lot for lot in lots if lot.expires_at is not None), key=lambda lot: lot.expires_at, default=None)
    return render_template(
        "staff_h5/members/detail.html", member=member, logout=ActionForm(),
        next_level=next((lv for lv in levels if target is not None and lv.id == target.id), None), gaps=gaps,
        wallet=wallet_service.member_wallet(db.session, mid, member.id), expiring=expiring,
        held=holdings.counted(db.session, mid, member.id, now),
        identities=[i for i in member.identities if i.active],
        rows=timeline.latest(db.session, mid, member.id, RECENT))
