"""The simulated phone's Alipay card package (支付宝卡包, /sandbox/phone/alipay-cards?m=<slug>): the member cards the
merchant's Alipay app opened for the phone's current Alipay user, as Alipay shows them: the face (name, colour),
Alipay's card number, points, balance and level as the merchant last set them, and the card's entries, which open
the merchant's pages inside "Alipay". The user may remove a card from the package."""
import re
from urllib.parse import urlsplit

from flask import abort, current_app, redirect, render_template, request, url_for
from sqlalchemy import select

from domain.wechat_member_card import COLORS, DEFAULT_COLOR
from extensions import db
from models import SandboxAlipayCard
from sandbox import alipay_cards, blueprint
from sandbox.alipay_auth import USER_COOKIE, USER_ID
from sandbox.phone import CLIENT_COOKIE, _merchant, _required_merchant
from web import boundary

RGB = re.compile(r"^rgb\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*\)$")
FIGURES = {"Point": "point", "Balance": "balance", "Level": "level"}


def _user_id():
    user_id = request.cookies.get(USER_COOKIE, "")
    return user_id if USER_ID.match(user_id) else None


@blueprint.route("/phone/alipay-cards")
def phone_alipay_cards():
    merchant = _merchant(request.args.get("m"))
    if merchant is None or not merchant.alipay_app_id:
        return redirect(url_for("sandbox.phone"))
    user_id = _user_id()
    held = [_face(card, template) for card, template in alipay_cards.cards_of_user(merchant.alipay_app_id, user_id)] \
        if user_id else []
    return render_template("sandbox/alipay_card_package.html", merchant=merchant, user_id=user_id, held=held)


def _face(card, template):
    payload = template.payload
    style = payload.get("template_style_info") or {}
    shown = {rule.get("field_name") for rule in payload.get("field_rule_list") or ()}
    figures = [{"name": name, "value": getattr(card, FIGURES[name])} for name in ("Point", "Balance", "Level")
               if name in shown]
    cells = [{"title": column.get("title", ""), "value": column.get("value", ""),
              "url": url_for("sandbox.phone_alipay_open", url=(column.get("more_info") or {}).get("url", ""))
              if column.get("operate_type", "openWeb") == "openWeb" else None}
             for column in payload.get("column_info_list") or ()]
    return {"biz_card_no": card.biz_card_no, "name": style.get("card_show_name", ""),
            "color": _palette(style.get("bg_color", "")), "logo_id": style.get("logo_id", ""),
            "logo_url": url_for("sandbox.alipay_image", image_id=style["logo_id"]) if style.get("logo_id") else None,
            "figures": figures, "cells": cells, "valid_date": card.valid_date}


def _palette(rgb):
    """The simulated face's colour class: the palette colour the rgb() names (the app sends its palette's)."""
    match = RGB.match(rgb or "")
    if match:
        text = "#" + "".join(f"{int(part):02x}" for part in match.groups())
        for name, value in COLORS.items():
            if value.lower() == text:
                return name
    return DEFAULT_COLOR


@blueprint.route("/phone/alipay-open")
def phone_alipay_open():
    """Open a card entry inside "Alipay" (the member pages see the Alipay client)."""
    url = request.args.get("url", "")
    if urlsplit(url).scheme not in ("http", "https"):
        return redirect(url_for("sandbox.phone"))
    public = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    if url.startswith(public + "/"):
        url = url[len(public):]  # stay on the host the phone is browsing, so the cookies go along
    response = redirect(url)
    response.set_cookie(CLIENT_COOKIE, "alipay", samesite="Lax")
    return response


@blueprint.route("/phone/alipay-cards/delete", methods=["POST"])
def phone_alipay_card_delete():
    """The user removes the card from their package."""
    merchant = _required_merchant()
    user_id = _user_id()
    card = db.session.scalars(select(SandboxAlipayCard).where(
        SandboxAlipayCard.biz_card_no == request.form.get("biz_card_no", ""))).one_or_none()
    if card is None or user_id is None or card.user_id != user_id or card.app_id != merchant.alipay_app_id:
        abort(404)
    card.state = "deleted"
    boundary.commit_now()
    return redirect(url_for("sandbox.phone_alipay_cards", m=merchant.slug))
