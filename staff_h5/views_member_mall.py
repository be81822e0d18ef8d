"""积分兑换 on the staff page (POS积分商城, seed 000 §10): from a found member's page, the counter opens the points
mall for that member, sees each gift with the member's price at their level, the stock and why not (level, sold out,
limit, points), and exchanges one, handed over at once in the chosen store (services/points_mall/counter.py); the
member's unclaimed exchanges (made in H5) can be cancelled with the points back, after a confirm.

Each 兑换 form carries a key minted when the page was shown, so a double tap exchanges once. Another merchant's
member or gift is 404 before any role is looked at; a guide sees only their own members (as on the other staff
member pages); a role without points_mall.exchange_for_member is told it may not."""
from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import DataRequired, Length

from domain.errors import DomainError, NotFound
from extensions import db
from services.members import members as member_service
from services.points_mall import counter, exchanges, gifts
from staff_h5 import blueprint
from staff_h5.forms import ActionForm
from staff_h5.views import staff_required
from web.requests import client_ip, new_idempotency_key

TEMPLATE = "staff_h5/points/mall.html"


class ExchangeForm(FlaskForm):
    key = HiddenField(validators=[DataRequired(), Length(max=80)])


def _member(member_id):
    try:
        return member_service.get_visible_member(db.session, current_user, member_id)
    except NotFound:
        abort(404)


def _refused():
    return render_template("staff_h5/message.html", title=_("无法兑换"), icon="warn",
                           text=_("您的角色不能为会员兑换积分礼品，请联系店长。"), logout=ActionForm()), 403


def _page(member, error=None, status=200):
    offers = counter.offers(db.session, current_user.merchant, member)
    forms = {offer.gift.id: ExchangeForm(formdata=None, key=new_idempotency_key("counter-mall"))
             for offer in offers if offer.refusal is None}
    return render_template(TEMPLATE, member=member, offers=offers, forms=forms, cancel_form=ActionForm(),
                           pending=counter.pending(db.session, current_user.merchant_id, member.id), error=error,
                           logout=ActionForm()), status


def _refusal_page(member, exc):
    db.session.rollback()
    db.session.refresh(member)
    return _page(member, error=exc.message, status=exc.http_status)


@blueprint.route("/members/<int:member_id>/mall")
@staff_required
def member_mall(member_id):
    member = _member(member_id)  # another merchant's member is not found, whatever the role
    if not counter.may_exchange(current_user):
        return _refused()
    return _page(member)


@blueprint.route("/members/<int:member_id>/mall/gifts/<int:gift_id>", methods=["POST"])
@staff_required
def member_mall_exchange(member_id, gift_id):
    member = _member(member_id)
    try:
        gift = gifts.get(db.session, current_user.merchant_id, gift_id)
    except NotFound:
        abort(404)
    if not counter.may_exchange(current_user):
        return _refused()
    form = ExchangeForm()
    if not form.validate_on_submit():
        return _page(member, error=_("页面已过期，请刷新后重试"), status=400)
    try:
        row, _record = counter.exchange_and_hand_over(db.session, current_user, member, gift.id, store_id=g.store.id,
                                                      key=form.key.data)
    except DomainError as exc:
        return _refusal_page(member, exc)
    if row.card_id is not None:
        flash(_("已为会员兑换「%(name)s」，扣 %(n)s 积分，卡已放入会员卡包", name=row.gift_name, n=row.points), "success")
    else:
        flash(_("已为会员兑换「%(name)s」，扣 %(n)s 积分，礼品已在 %(store)s 交付", name=row.gift_name, n=row.points,
                store=g.store.name), "success")
    return redirect(url_for("staff_h5.member_mall", member_id=member.id))


@blueprint.route("/members/<int:member_id>/mall/exchanges/<int:exchange_id>/cancel", methods=["POST"])
@staff_required
def member_mall_cancel(member_id, exchange_id):
    member = _member(member_id)
    try:
        exchanges.member_exchange(db.session, current_user.merchant_id, member.id, exchange_id)
    except NotFound:  # another merchant's, or another member's: not found before the role is looked at
        abort(404)
    if not counter.may_exchange(current_user):
        return _refused()
    if not ActionForm().validate_on_submit():
        return _page(member, error=_("页面已过期，请刷新后重试"), status=400)
    try:
        row = counter.cancel(db.session, current_user, member, exchange_id, ip=client_ip())
    except DomainError as exc:
        return _refusal_page(member, exc)
    flash(_("已取消兑换「%(name)s」，%(n)s 积分已退回会员", name=row.gift_name, n=row.points), "success")
    return redirect(url_for("staff_h5.member_mall", member_id=member.id))
