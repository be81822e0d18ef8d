"""The staff page's navigation (the bottom tabs 核销, 收银, 会员, 我的), the 会员 tab (find a member by their QR,
mobile or card number and see what they can use here; invite a customer to join) and the 我的 tab (today's records,
the store switch, log out)."""
from flask import g, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from domain.clock import now_utc
from extensions import db
from services.recruitment import performance
from services.verification import instruments
from staff_h5 import blueprint, member_lookup
from staff_h5.forms import ActionForm, LookupForm
from staff_h5.views import staff_required
from staff_h5.views_join_codes import join_qr_svg
from staff_h5.views_scan import _confirm_form, _in_wechat

# Which tab is lit for each page: a page reached from a tab keeps that tab lit.
TAB_OF_ENDPOINT = {
    "staff_h5.verify_page": "verify", "staff_h5.lookup": "verify", "staff_h5.verify": "verify",
    "staff_h5.checkout_page": "till", "staff_h5.checkout_quote": "till", "staff_h5.checkout_pay": "till",
    "staff_h5.checkout_receipt": "till", "staff_h5.checkout_refund_settle": "till",
    "staff_h5.members": "member", "staff_h5.find_member": "member",
    "staff_h5.member_detail": "member",
    "staff_h5.card_issue_page": "member", "staff_h5.card_issue": "member",
    "staff_h5.counter_topup_find": "member", "staff_h5.counter_topup_lookup": "member",
    "staff_h5.counter_topup_page": "member", "staff_h5.counter_topup_confirm": "member",
    "staff_h5.counter_topup_pay": "member", "staff_h5.counter_topup_receipt": "member",
    "staff_h5.counter_topups_today": "member",
    "staff_h5.assisted_join": "member", "staff_h5.assisted_join_done": "member", "staff_h5.guide_members": "member",
    "staff_h5.join_code": "member", "staff_h5.recruitment": "member",
    "staff_h5.member_points_page": "member", "staff_h5.member_points_adjust": "member",
    "staff_h5.me": "me", "staff_h5.records": "me", "staff_h5.checkouts_today": "me", "staff_h5.undo": "me",
}


@blueprint.context_processor
def _navigation():
    def staff_tabs():
        return [
            dict(key="verify", href=url_for("staff_h5.verify_page"), icon="verify", label=_("核销"), id="tab-verify"),
            dict(key="till", href=url_for("staff_h5.checkout_page"), icon="cashier", label=_("收银"), id="tab-till"),
            dict(key="member", href=url_for("staff_h5.members"), icon="card", label=_("会员"), id="tab-member"),
            dict(key="me", href=url_for("staff_h5.me"), icon="user", label=_("我的"), id="tab-me"),
        ]

    return {"staff_tabs": staff_tabs, "staff_tab": TAB_OF_ENDPOINT.get(request.endpoint)}


def _join_qr():
    """The staff member's own join code: the customer scans it in WeChat or Alipay and claims a card, credited to
    this staff member and store (staff_h5/views_join_codes.py)."""
    return join_qr_svg()


def _members_page(form, error=None, status=200):
    return render_template("staff_h5/members.html", form=form, error=error, in_wechat=_in_wechat(),
                           join_qr=_join_qr(), logout=ActionForm()), status


@blueprint.route("/members")
@staff_required
def members():
    return _members_page(LookupForm(formdata=None))


@blueprint.route("/members", methods=["POST"])
@staff_required
def find_member():
    """A member QR, an 11-digit mobile or a card number: the member and what they can use in this store."""
    form = LookupForm()
    try:
        member, refusal = member_lookup.identify_member(form)
    except member_lookup.LookupFailed as failed:
        return _members_page(form, error=failed.error, status=failed.status)
    method = form.via.data or "manual"
    items = [(item, _confirm_form(item, method)) for item in instruments.held_by(db.session, member, g.store.id,
                                                                                   now_utc())]
    return render_template("staff_h5/member.html", member=member, items=items, refusal=refusal,
                           logout=ActionForm())


@blueprint.route("/me")
@staff_required
def me():
    return render_template("staff_h5/me.html", logout=ActionForm(),
                           my_month=performance.my_month(db.session, current_user))  # 本月业绩
