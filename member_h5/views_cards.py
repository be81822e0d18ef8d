"""The member's count and timed cards: list by tab, a card's detail with a refreshing QR, the photo for the check.

The photo itself is served only through a signed, expiring link made for staff
(services.cards.count_timed_photos.photo_url).
"""
from flask import current_app, g, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from flask_wtf.file import FileField

from domain import cards as card_rules
from domain.cards import COUNT, PENDING, TIMED
from domain.clock import now_utc
from domain.coupons import format_code
from extensions import db
from member_h5 import blueprint
from member_h5.common import attempt, committed, expired_back, instrument_qr_json, member_required, pick_tab
from services.cards import count_timed_holdings, count_timed_photos
from services.verification import qr as instrument_qr
from services.members import qr as member_qr

TABS = (("usable", "可使用"), ("finished", "已结束"))
# The request may carry a little more than the 5 MB photo (the form around it); the service checks the photo.
UPLOAD_REQUEST_LIMIT = count_timed_photos.PHOTO_MAX_BYTES + 256 * 1024


class PhotoForm(FlaskForm):
    photo = FileField()


@blueprint.url_value_preprocessor
def allow_photo_size(endpoint, values):
    """Raise the body limit for the photo upload only, before CSRF protection reads the form."""
    if endpoint == "member_h5.card_photo_upload":
        request.max_content_length = UPLOAD_REQUEST_LIMIT


@blueprint.route("/cards/")
@member_required
def cards_list():
    tab = pick_tab(TABS)
    now = now_utc()
    usable, finished = count_timed_holdings.member_cards(db.session, g.merchant.id, g.member.id, now)
    return render_template("member_h5/cards/list.html", tab=tab, tabs=TABS, now=now,
                           rows=usable if tab == "usable" else finished,
                           counts={"usable": len(usable), "finished": len(finished)},
                           kind_labels=card_rules.KIND_LABELS, state_label=_state_label, COUNT=COUNT)


@blueprint.route("/cards/<int:card_id>")
@member_required
def card_detail(card_id):
    card = count_timed_holdings.member_card(db.session, g.merchant.id, g.member.id, card_id)
    now = now_utc()
    usable = count_timed_holdings.status_of(card, now) == "usable"
    return render_template("member_h5/cards/detail.html", card=card, template=card.template, now=now,
                           usable=usable, state_text=_state_label(card, now), grouped=format_code(card.code),
                           qr_svg=member_qr.svg(instrument_qr.token(card, now=now), label="卡码") if usable else None,
                           qr_seconds=instrument_qr.VALID_SECONDS,
                           lines=count_timed_holdings.summary(db.session, card, now),
                           photo_form=_photo_form(card, usable), kind_label=card_rules.KIND_LABELS[card.kind])


@blueprint.route("/cards/<int:card_id>/qr.json")
@member_required
def card_qr_refresh(card_id):
    card = count_timed_holdings.member_card(db.session, g.merchant.id, g.member.id, card_id)
    return instrument_qr_json(card, count_timed_holdings.status_of(card, now_utc()) == "usable", _("该卡当前不可使用"))


@blueprint.route("/cards/<int:card_id>/photo", methods=["POST"])
@member_required
def card_photo_upload(card_id):
    card = count_timed_holdings.member_card(db.session, g.merchant.id, g.member.id, card_id)
    form, back = PhotoForm(), url_for("member_h5.card_detail", card_id=card.id)
    if not form.validate():
        return expired_back(back, 303)
    upload, root = form.photo.data, count_timed_photos.photo_dir(current_app)
    data = upload.read(count_timed_photos.PHOTO_MAX_BYTES + 1) if upload else b""
    attempt(lambda: count_timed_photos.save_photo(db.session, g.merchant.id, g.member.id, card.id, data, root), back,
            status=303)
    return committed(_("照片已上传，核销时店员将核对本人"), back, 303)


@blueprint.route("/cards/photo/<token>")
def card_photo(token):
    """The member's photo for the staff page; the signed token is the permission, valid a few minutes."""
    path = count_timed_photos.photo_file(db.session, g.merchant.id, token, count_timed_photos.photo_dir(current_app))
    response = send_file(path, mimetype="image/png" if path.endswith(".png") else "image/jpeg", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _photo_form(card, usable):
    if card.kind != TIMED or not card.template.photo_required or not usable:
        return None
    return PhotoForm(formdata=None)


def _state_label(card, now):
    status = count_timed_holdings.status_of(card, now)
    if status == "usable":
        if card.state == PENDING:
            return _("未开始")
        return _("使用中")
    return card_rules.state_label(card.kind, status)
