"""The member's gift cards: list, detail with a refreshing QR, binding a physical card, SMS activation,
transfer links (create, cancel, accept) and the card's spending history."""
from flask import g, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from domain import cards as card_rules
from domain import coupons as code_rules
from domain import gift_cards as rules
from domain.clock import now_utc
from domain.errors import DomainError
from extensions import db
from models import Card
from member_h5 import blueprint
from member_h5.common import (attempt, attempt_or_page, committed, expired_back,
                              instrument_qr_json, member_required, message_page, public_url)
from services.cards import gift_activation, gift_holdings, gift_templates, gift_transfer
from services.verification import qr as instrument_qr
from services.members import qr as member_qr
from services.shared.tenancy import get_owned
from web import boundary
from web.requests import client_ip

LINKS_KEY = "gift_links"  # {card id: token} of links this browser made, so the giver can show them again


class BindForm(FlaskForm):
    card_no = StringField(_l("卡号"), validators=[DataRequired(_l("请输入卡号")), Length(max=30)])
    pin = StringField(_l("密码"), validators=[DataRequired(_l("请输入密码")), Length(max=20)])


class ActivateForm(FlaskForm):
    code = StringField(_l("验证码"), validators=[Length(max=10)])


class ConfirmForm(FlaskForm):
    """A POST with nothing but its CSRF token."""


def _card(card_id):
    return gift_holdings.member_card(db.session, g.merchant.id, g.member.id, card_id)


@blueprint.route("/gift-cards/")
@member_required
def gift_cards_list():
    rows = [(card, gift_holdings.balance(db.session, card)) for card in
            gift_holdings.member_cards(db.session, g.merchant.id, g.member.id)]
    return render_template("member_h5/gift_cards/list.html", rows=rows, label=rules.state_label,
                           color=gift_templates.theme_color)


@blueprint.route("/gift-cards/<int:card_id>")
@member_required
def gift_card_detail(card_id):
    card, now = _card(card_id), now_utc()
    transfer = gift_transfer.open_transfer(db.session, g.merchant.id, card.id)
    if transfer is not None and gift_transfer.release_if_expired(db.session, transfer, now):
        transfer, card = None, _card(card_id)
    link = _link_for(card, transfer)
    qr_svg = member_qr.svg(instrument_qr.token(card, now), label="卡码") if card.state == card_rules.ACTIVE else None
    return render_template("member_h5/gift_cards/detail.html", card=card, template=card.template,
                           balance=gift_holdings.balance(db.session, card), label=rules.state_label(card.state),
                           color=gift_templates.theme_color(card.template, card.theme),
                           grouped=code_rules.format_code(card.code),
                           qr_svg=qr_svg, qr_seconds=instrument_qr.VALID_SECONDS, transfer=transfer, link=link,
                           link_svg=member_qr.svg(link, label="转赠二维码") if link else None, form=ConfirmForm(),
                           activate_form=ActivateForm(), history=gift_holdings.history(db.session, card))


def _link_for(card, transfer):
    """The accept URL of the open link, if this browser made it (only the token's hash is on the server)."""
    token = (session.get(LINKS_KEY) or {}).get(str(card.id))
    if transfer is None or not token or gift_transfer.token_hash(token) != transfer.token_hash:
        return None
    return public_url("member_h5.gift_card_accept", token=token)


@blueprint.route("/gift-cards/<int:card_id>/qr.json")
@member_required
def gift_card_qr_refresh(card_id):
    card = _card(card_id)
    return instrument_qr_json(card, card.state == card_rules.ACTIVE, _("该礼品卡当前不可使用"))


@blueprint.route("/gift-cards/bind", methods=["GET", "POST"])
@member_required
def gift_card_bind():
    form = BindForm()
    if not form.is_submitted():
        return render_template("member_h5/gift_cards/bind.html", form=form)
    if not form.validate():
        return render_template("member_h5/gift_cards/bind.html", form=form), 400
    try:
        card = gift_activation.bind(db.session, g.merchant, g.member.id, form.card_no.data, form.pin.data)
    except DomainError as exc:
        db.session.rollback()  # a wrong PIN's try was already counted on its own connection
        form.pin.errors = [exc.message]
        form.pin.data = ""
        return render_template("member_h5/gift_cards/bind.html", form=form), exc.http_status
    return committed(_("绑定成功，请完成短信验证以激活") if card.state == card_rules.CLAIMED else _("绑定成功，礼品卡已激活"),
                     url_for("member_h5.gift_card_detail", card_id=card.id))


@blueprint.route("/gift-cards/<int:card_id>/send-code", methods=["POST"])
@member_required
def gift_card_send_code(card_id):
    if not ConfirmForm().validate():
        return _expired()
    back = _detail(card_id)
    # SmsRateLimited is a DomainError: too many codes is flashed like any refusal
    attempt(lambda: gift_activation.send_activation_code(db.session, g.merchant, g.member, card_id, ip=client_ip()),
            back)
    return committed(_("验证码已发送至 %(mobile)s，5 分钟内有效", mobile=_masked(g.member.mobile)), back)


@blueprint.route("/gift-cards/<int:card_id>/activate", methods=["POST"])
@member_required
def gift_card_activate(card_id):
    form = ActivateForm()
    if not form.validate():
        return _expired()
    back = _detail(card_id)
    attempt(lambda: gift_activation.activate_by_sms(db.session, g.merchant, g.member, card_id, form.code.data), back)
    return committed(_("礼品卡已激活"), back)


@blueprint.route("/gift-cards/<int:card_id>/transfer", methods=["POST"])
@member_required
def gift_card_transfer(card_id):
    if not ConfirmForm().validate():
        return _expired()
    back = _detail(card_id)
    token = attempt(lambda: gift_transfer.create_transfer(db.session, g.merchant, g.member.id, card_id), back)[1]
    response = committed(_("转赠链接已生成，24 小时内有效，只能被领取一次"), back)
    session[LINKS_KEY] = {**(session.get(LINKS_KEY) or {}), str(card_id): token}
    return response


@blueprint.route("/gift-cards/<int:card_id>/transfer/cancel", methods=["POST"])
@member_required
def gift_card_transfer_cancel(card_id):
    if not ConfirmForm().validate():
        return _expired()
    back = _detail(card_id)
    attempt(lambda: gift_transfer.cancel_transfer(db.session, g.merchant, g.member.id, card_id), back)
    response = committed(_("已取消转赠"), back)
    session[LINKS_KEY] = {k: v for k, v in (session.get(LINKS_KEY) or {}).items() if k != str(card_id)}
    return response


@blueprint.route("/gift-cards/accept/<token>", methods=["GET", "POST"])
@member_required
def gift_card_accept(token):
    transfer = gift_transfer.transfer_for_token(db.session, g.merchant.id, token)
    closed = _closed_message(transfer)
    if closed is not None:
        return closed
    card = get_owned(db.session, Card, g.merchant.id, transfer.card_id)
    form = ConfirmForm()
    if not form.is_submitted():
        return render_template("member_h5/gift_cards/accept.html", card=card, template=card.template,
                               balance=gift_holdings.balance(db.session, card), transfer=transfer, form=form,
                               own=transfer.from_member_id == g.member.id,
                               color=gift_templates.theme_color(card.template, card.theme))
    if not form.validate():
        return _expired()
    try:
        new = attempt_or_page(lambda: gift_transfer.accept_transfer(db.session, g.merchant, g.member.id, token),
                              _("领取失败"), url_for("member_h5.gift_cards_list"), _("我的礼品卡"),
                              handled=(gift_transfer.TransferExpired,))
    except gift_transfer.TransferExpired as exc:
        boundary.keep_on_error()  # keep the release: the card is back with the giver
        return message_page(_("链接已过期"), exc.message, 410, icon="warn")
    return committed(_("领取成功，礼品卡已放入您的卡包"), _detail(new.id))


def _closed_message(transfer):
    """A page for a link that no longer works, or None while it is open."""
    if transfer.accepted_at is not None:
        return message_page(_("已被领取"), _("这张礼品卡已被领取"), 409, icon="warn")
    if transfer.cancelled_at is not None and transfer.cancelled_at >= transfer.expires_at:
        return message_page(_("链接已过期"), _("链接已过期，礼品卡已退回赠送人"), 410, icon="warn")
    if transfer.cancelled_at is not None:
        return message_page(_("链接已失效"), _("转赠已取消，链接已失效"), 410, icon="warn")
    if gift_transfer.release_if_expired(db.session, transfer, now_utc()):
        boundary.keep_on_error()  # the 410 below keeps the release: the card is back with the giver
        return message_page(_("链接已过期"), _("链接已过期，礼品卡已退回赠送人"), 410, icon="warn")
    return None


def _masked(mobile):
    return f"{mobile[:3]}****{mobile[-4:]}" if mobile and len(mobile) >= 7 else mobile


def _detail(card_id):
    return url_for("member_h5.gift_card_detail", card_id=card_id)


def _expired():
    return expired_back(url_for("member_h5.gift_cards_list"))
