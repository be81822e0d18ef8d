"""Actions on one member: adjust points, set the level by hand, freeze the wallet, bind a physical card."""
from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from backoffice import blueprint
from backoffice.common import flash_domain_error, merchant_id, requires
from web.requests import client_ip, new_idempotency_key
from backoffice.forms_members import BindCardForm, PointsAdjustForm, SetLevelForm, WalletFreezeForm
from backoffice.ui import form_page
from backoffice.views_members import render_detail
from domain.errors import DomainError
from extensions import db
from services.members import levels as level_service, members as member_service
from services.points import ledger as points_service
from services.merchant import stores as store_service
from services.wallet import journal as wallet_service

POINTS_TEMPLATE = "backoffice/points/adjust.html"
LEVEL_TEMPLATE = "backoffice/members/set_level.html"


def _member(member_id):
    return member_service.get_visible_member(db.session, current_user, member_id)


def _flash_first_error(form):
    """The small forms sit far down the detail page: repeat their message at the top."""
    for errors in form.errors.values():
        if errors:
            flash(str(errors[0]), "warning")
            return


def _detail_url(member):
    return url_for("backoffice.member_detail", member_id=member.id)


def _to_detail(member):
    return redirect(_detail_url(member))


@blueprint.route("/members/<int:member_id>/points", methods=["GET", "POST"])
@requires("points.adjust")
def member_points_adjust(member_id):
    member = _member(member_id)
    form = PointsAdjustForm().setup(current_user, store_service.list_stores(db.session, merchant_id(),
                                                                            active_only=True))
    if not form.is_submitted():
        form.idempotency_key.data = new_idempotency_key("points-adjust")
    # A replay of the same key returns the first transaction: the same success, applied once.
    return form_page(POINTS_TEMPLATE, {"form": form, "member": member}, lambda: points_service.adjust(
        db.session, current_user.merchant, member.id, form.delta, key=form.idempotency_key.data,
        reason=form.reason.data, operator=current_user, store_id=form.store_id.data),
        done=lambda txn: _("积分已调整 %(amount)s，调整后积分 %(balance)s", amount=f"{txn.amount:+d}",
                           balance=txn.balance_after),
        back=_detail_url(member))


@blueprint.route("/members/<int:member_id>/level", methods=["GET", "POST"])
@requires("members.set_level")
def member_set_level(member_id):
    member = _member(member_id)
    form = SetLevelForm().setup(level_service.list_levels(db.session, merchant_id()))
    if not form.is_submitted():
        form.level_id.data = member.level_id
    return form_page(LEVEL_TEMPLATE, {"form": form, "member": member}, lambda: level_service.set_level_manually(
        db.session, current_user, member, form.level_id.data, form.note.data),
        done=lambda level: _("会员等级已调整为 %(name)s", name=level.name), back=_detail_url(member))


@blueprint.route("/members/<int:member_id>/wallet/freeze", methods=["POST"])
@requires("wallet.freeze")
def member_wallet_freeze(member_id):
    member = _member(member_id)
    form = WalletFreezeForm()
    if not form.validate():
        _flash_first_error(form)
        return render_detail(member, 400, freeze_form=form)
    frozen = form.frozen.data == "1"
    try:
        wallet_service.freeze_member_wallet(db.session, current_user, member, form.wallet_id.data, frozen,
                                            key=form.key.data, note=form.reason.data, ip=client_ip())
    except DomainError as exc:
        db.session.rollback()
        flash_domain_error(exc)
        return render_detail(member, 400)
    flash(_("储值账户已冻结") if frozen else _("储值账户已解冻"), "success")
    return _to_detail(member)


@blueprint.route("/members/<int:member_id>/card", methods=["POST"])
@requires("members.edit")
def member_bind_card(member_id):
    member = _member(member_id)
    form = BindCardForm()
    if not form.validate():
        _flash_first_error(form)
        return render_detail(member, 400, card_form=form)
    try:
        member_service.bind_identity(db.session, member, "card_no", form.card_no.data, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash_domain_error(exc)
        return render_detail(member, 400, card_form=form)
    flash(_("实体卡已绑定"), "success")
    return _to_detail(member)
