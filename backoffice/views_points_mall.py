"""积分商城 in the back office (under 卡券): the gift list, a gift's form with its points price per member level and
picture, and the exchange records with a filter, cancelling an unclaimed one (points back) and the CSV export."""
from datetime import timedelta

from flask import (Response, abort, current_app, redirect, render_template, request, send_file, stream_with_context,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user

from backoffice import blueprint
from backoffice.common import merchant_id, parse_int, requires, run_and_flash
from backoffice.forms_points_mall import ExchangeFilterForm, gift_form
from backoffice.ui import form_page
from domain import points_mall as rules
from domain.clock import local_midnight_utc, to_local
from domain.errors import DomainError, NotFound
from extensions import db
from services.cards.count_timed_photos import photo_dir
from services.members.levels import list_levels
from services.points_mall import card_gifts, gifts, records
from web.requests import client_ip

LIST = "backoffice/points_mall/list.html"
FORM = "backoffice/points_mall/form.html"
EXCHANGES = "backoffice/points_mall/exchanges.html"
PER_PAGE = 30


@blueprint.route("/points-mall")
@requires("cards.manage")
def points_mall():
    rows = gifts.all_gifts(db.session, merchant_id())
    levels = list_levels(db.session, merchant_id())
    return render_template(LIST, gifts=rows, levels=levels)


@blueprint.route("/points-mall/new", methods=["GET", "POST"])
@requires("cards.manage")
def points_mall_new():
    return _save(None)


@blueprint.route("/points-mall/<int:gift_id>/edit", methods=["GET", "POST"])
@requires("cards.manage")
def points_mall_edit(gift_id):
    try:
        return _save(gifts.get(db.session, merchant_id(), gift_id))
    except NotFound:
        abort(404)


def _save(gift):
    tz_name = current_user.merchant.timezone
    levels = list_levels(db.session, merchant_id())
    if request.method == "POST":
        form = gift_form(levels)
    elif gift is not None:
        form = gift_form(levels, data=_data(gift, tz_name))
    else:
        form = gift_form(levels, data={"stock": 0, "per_member_limit": 0, "pickup_days": 30, "active": True})
    form.card.choices = [("", _("实物礼品（到店领取）"))] + [
        (choice.value, choice.label) for choice in card_gifts.choices(db.session, merchant_id())]
    saved_card = card_gifts.value_of(gift.card_template_id, gift.card_tier_key) if gift is not None else ""
    if saved_card and saved_card not in dict(form.card.choices):
        form.card.choices.append((saved_card, _("（已停用的卡）")))  # a gift keeps its card while the card is stopped
    context = {"form": form, "gift": gift, "points_fields": [form[name] for name in form.points_names]}

    def save():
        card_template_id, card_tier_key = card_gifts.parse(form.card.data)
        photo = form.photo.data.read(gifts.PHOTO_MAX_BYTES + 1) if form.photo.data else None
        values = gifts.GiftValues(
            number=form.number.data, name=form.name.data, description=form.description.data,
            stock=form.stock.data or 0, per_member_limit=form.per_member_limit.data or 0,
            pickup_days=form.pickup_days.data if form.pickup_days.data is not None else 30,
            prices=form.points_prices(), active=bool(form.active.data),
            starts_at=local_midnight_utc(form.starts_on.data, tz_name) if form.starts_on.data else None,
            ends_at=local_midnight_utc(form.ends_on.data + timedelta(days=1), tz_name) if form.ends_on.data else None,
            card_template_id=card_template_id, card_tier_key=card_tier_key)
        return gifts.save(db.session, current_user, gift.id if gift else None, values, photo=photo,
                          upload_root=photo_dir(current_app))

    return form_page(FORM, context, save, done=_("礼品已保存"), back=url_for("backoffice.points_mall"))


def _data(gift, tz_name):
    ends = to_local(gift.ends_at, tz_name).date() - timedelta(days=1) if gift.ends_at else None
    return {"number": gift.number, "name": gift.name, "description": gift.description or "", "stock": gift.stock,
            "per_member_limit": gift.per_member_limit, "pickup_days": gift.pickup_days, "active": gift.active,
            "starts_on": to_local(gift.starts_at, tz_name).date() if gift.starts_at else None, "ends_on": ends,
            "card": card_gifts.value_of(gift.card_template_id, gift.card_tier_key),
            **{f"points_{level_id}": points for level_id, points in (gift.points_prices or {}).items()}}


@blueprint.route("/points-mall/<int:gift_id>/photo")
@requires("cards.manage")
def points_mall_photo(gift_id):
    try:
        path = gifts.photo_file(db.session, merchant_id(), gift_id, photo_dir(current_app))
    except NotFound:
        abort(404)
    return send_file(path, max_age=300)


def _filter():
    form = ExchangeFilterForm(request.args)
    form.gift_id.choices = [(0, _("全部礼品"))] + [(g.id, g.name) for g in gifts.all_gifts(db.session, merchant_id())]
    if not form.validate():
        return form, records.ExchangeFilter()
    return form, records.ExchangeFilter(state=form.state.data or None, gift_id=form.gift_id.data or None,
                                        mobile=(form.mobile.data or "").strip() or None,
                                        day_from=form.day_from.data, day_until=form.day_until.data)


@blueprint.route("/points-mall/exchanges")
@requires("cards.manage")
def points_mall_exchanges():
    form, wanted = _filter()
    try:
        statement = records.query(merchant_id(), wanted, current_user.merchant.timezone)
    except DomainError:
        abort(400)
    page = max(parse_int(request.args.get("page"), 1) or 1, 1)
    pagination = db.paginate(statement, page=page, per_page=PER_PAGE, error_out=False)
    return render_template(EXCHANGES, form=form, pagination=pagination, labels=rules.STATE_LABELS,
                           args={k: v for k, v in request.args.items() if k != "page"})


@blueprint.route("/points-mall/exchanges.csv")
@requires("cards.manage")
def points_mall_exchanges_csv():
    _form, wanted = _filter()
    tz_name = current_user.merchant.timezone
    try:
        records.query(merchant_id(), wanted, tz_name)
    except DomainError:
        abort(400)
    body = records.export_csv(db.session, merchant_id(), wanted, tz_name)
    return Response(stream_with_context(body), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": "attachment; filename=gift-exchanges.csv",
                             "Cache-Control": "no-store"})


@blueprint.route("/points-mall/exchanges/<int:exchange_id>/cancel", methods=["POST"])
@requires("cards.manage")
def points_mall_exchange_cancel(exchange_id):
    run_and_flash(lambda: records.cancel_for_member(db.session, current_user, current_user.merchant, exchange_id,
                                                    ip=client_ip()),
                  _("已取消兑换，积分已退回会员"))
    return redirect(url_for("backoffice.points_mall_exchanges"))
