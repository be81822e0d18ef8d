"""发实体卡 on the staff page: from a member found on the 会员 tab, the staff member types, scans (the barcode on the
back) or swipes the card's number, and its PIN when the card's batch has one, and the card is bound to the member
(services/card_stock/counter.py: the member card binding every path shares, which activates the stock card).
"发卡并充值" goes on to the counter top-up of the same member (selling the card with a top-up)."""
from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from domain import card_stock as rules
from domain.errors import DomainError, NotFound
from extensions import db
from services.card_stock import counter, states
from services.members import members as member_service
from staff_h5 import blueprint, limits
from staff_h5.forms import METHODS, ActionForm
from staff_h5.views import staff_required
from staff_h5.views_scan import _in_wechat
from web import boundary
from web.requests import client_ip

PERMISSION = "cards.issue"
THEN_TOPUP = "topup"


class CardIssueForm(FlaskForm):
    # Named `code` so static/staff_h5/scan.js fills it with a scanned barcode, as on the other staff pages.
    code = StringField(_l("卡号"), validators=[DataRequired(_l("请输入或扫描实体卡号")),
                                              Length(max=rules.MAX_TYPED + 10, message=_l("卡号过长"))])
    pin = StringField(_l("卡密码"), validators=[Optional(), Length(max=12, message=_l("密码过长"))])
    via = HiddenField(validators=[Optional(), AnyOf(METHODS)])
    then = HiddenField(validators=[Optional(), AnyOf((THEN_TOPUP,))])


def _refused():
    return render_template("staff_h5/message.html", title=_("无法发卡"), icon="warn",
                           text=_("您的角色不能为会员发实体卡，请联系店长。"), logout=ActionForm()), 403


def _member(member_id):
    try:
        return member_service.get_visible_member(db.session, current_user, member_id)
    except NotFound:
        abort(404)


def _page(member, form, error=None, status=200):
    cards = states.of_member(db.session, current_user.merchant_id, member.id)
    return render_template("staff_h5/counter/card.html", member=member, form=form, error=error, cards=cards,
                           labels=rules.STATE_LABELS, format_card_no=rules.format_card_no,
                           in_wechat=_in_wechat(), may_topup=current_user.can("wallet.counter_topup"),
                           waiting=states.issued_in_store(db.session, current_user.merchant_id, g.store.id),
                           logout=ActionForm()), status


@blueprint.route("/members/<int:member_id>/card")
@staff_required
def card_issue_page(member_id):
    if not current_user.can(PERMISSION):
        return _refused()
    return _page(_member(member_id), CardIssueForm(formdata=None))


@blueprint.route("/members/<int:member_id>/card", methods=["POST"])
@staff_required
def card_issue(member_id):
    if not current_user.can(PERMISSION):
        return _refused()
    member = _member(member_id)
    form = CardIssueForm()
    if not form.validate_on_submit():
        return _page(member, form, status=400)
    if limits.is_blocked(db.session, current_user, g.device_id):  # PINs must not be guessable here
        return _page(member, form, error=_("尝试次数过多，请稍后再试"), status=429)
    try:
        issued = counter.issue_to_member(db.session, current_user, member, form.code.data, pin=form.pin.data,
                                         store_id=g.store.id)
    except DomainError as exc:
        db.session.rollback()
        if isinstance(exc, counter.WrongPin):  # a wrong PIN counts towards the look-up limit
            limits.record_failure(db.session, current_user, g.device_id, form.code.data or "", ip=client_ip())
            boundary.keep_on_error()
        return _page(member, form, error=exc.message, status=exc.http_status)
    flash(_("已为会员发卡：%(no)s", no=rules.format_card_no(issued.card_no)), "info")
    if form.then.data == THEN_TOPUP and current_user.can("wallet.counter_topup"):
        return redirect(url_for("staff_h5.counter_topup_page", member_id=member.id))
    return redirect(url_for("staff_h5.card_issue_page", member_id=member.id))
