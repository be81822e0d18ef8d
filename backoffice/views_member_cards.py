"""A member's physical card in the back office: report it lost, replace it, return it (each audited)."""
from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from backoffice import blueprint
from backoffice.common import requires, run_and_flash
from web.requests import client_ip
from backoffice.forms_members import BindCardForm, MemberCardActionForm
from extensions import db
from services.cards import physical as member_cards
from services.members import members as member_service


def _member(member_id):
    return member_service.get_visible_member(db.session, current_user, member_id)


def _back(member):
    return redirect(url_for("backoffice.member_detail", member_id=member.id) + "#member-cards")


def _refused(member, form):
    flash(next(iter(sum(form.errors.values(), [])), _("页面已过期，请刷新后重试")), "warning")
    return _back(member)


def _run(member, action, done_message):
    """Run one card action for the member page, then back to the member's cards."""
    run_and_flash(action, done_message)
    return _back(member)


def _keyed(member_id, identity_id, service, done_message):
    """Report lost / return: a confirm button whose form carries the request's idempotency key."""
    member, form = _member(member_id), MemberCardActionForm()
    if not form.validate():
        return _refused(member, form)
    return _run(member, lambda: service(db.session, current_user, member, identity_id, key=form.key.data,
                                        ip=client_ip()), done_message)


@blueprint.route("/members/<int:member_id>/cards/<int:identity_id>/lost", methods=["POST"])
@requires("cards.loss")
def member_card_lost(member_id, identity_id):
    return _keyed(member_id, identity_id, member_cards.report_lost, _("已挂失：卡号停止使用，储值已冻结"))


@blueprint.route("/members/<int:member_id>/cards/<int:identity_id>/replace", methods=["POST"])
@requires("cards.loss")
def member_card_replace(member_id, identity_id):
    member, form = _member(member_id), BindCardForm()
    if not form.validate():
        return _refused(member, form)
    key = f"member-card-replace:{identity_id}:{form.card_no.data}"
    return _run(member, lambda: member_cards.replace(db.session, current_user, member, identity_id, form.card_no.data,
                                                     key=key, ip=client_ip()),
                _("已补卡：新卡号 %(no)s 生效，旧卡号作废", no=form.card_no.data))


@blueprint.route("/members/<int:member_id>/cards/<int:identity_id>/return", methods=["POST"])
@requires("cards.refund")
def member_card_return(member_id, identity_id):
    return _keyed(member_id, identity_id, member_cards.return_card, _("已退卡：本金已退还，赠送金额已收回，卡号作废"))
