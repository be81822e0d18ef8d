"""The simulated phone's card package (卡包, /sandbox/phone/cards): the WeChat user's member cards of this merchant as
WeChat shows them (colour, logo, brand, title; once activated the membership number, points, balance and the
custom field values) with the card's entries, which open inside "WeChat" with `encrypt_code` and `card_id` appended
as WeChat does. The user adds (领取) a card the merchant's account created, or deletes one from the package.
"""
from urllib.parse import urlencode

import requests
from flask import abort, current_app, redirect, render_template, request, url_for

from domain.wechat_member_card import CELL_SLOTS
from extensions import db
from sandbox import blueprint, wechat_card_forms as forms, wechat_card_store as store, wechat_events as events
from sandbox import wechat_state as sbx
from sandbox.phone import WECHAT_USER_COOKIE, _merchant, _required_merchant
from sandbox.wechat_cards import encrypt_code
from sandbox.wechat_state import ApiError
from web import boundary


def _person(merchant):
    app_id = merchant.wechat_app_id or ""
    return sbx.user(db.session, request.cookies.get(WECHAT_USER_COOKIE), app_id) if app_id else None


@blueprint.route("/phone/cards")
def phone_cards():
    merchant = _merchant(request.args.get("m"))
    if merchant is None or not merchant.wechat_app_id:
        return redirect(url_for("sandbox.phone"))
    person = _person(merchant)
    app_id = merchant.wechat_app_id
    cards = {row.card_id: row for row in store.cards(db.session, app_id)}
    held = [_face(app_id, code, cards[code.card_id]) for code in store.codes_of_user(db.session, app_id,
                                                                                      person.user_key)
            if code.card_id in cards] if person is not None else []
    # ?add=<card_id>&outer_str=: opened from a member page's 领取到微信卡包, as WeChat's add-card sheet would be.
    page = render_template("sandbox/card_package.html", merchant=merchant, person=person, held=held,
                           offered=[_offer(row) for row in cards.values()], adding=request.args.get("add", ""),
                           outer_str=request.args.get("outer_str", "")[:128])
    boundary.commit_now()  # the encrypt_codes the links carry
    return page


def _offer(card):
    base = card.payload.get("base_info", {})
    return {"card_id": card.card_id, "title": base.get("title", ""), "brand_name": base.get("brand_name", ""),
            "color": base.get("color", ""), "logo_url": base.get("logo_url", "")}


def _face(app_id, code, card):
    payload = card.payload
    base = payload.get("base_info", {})
    secret = encrypt_code(db.session, app_id, code.code)

    def link(url):
        joiner = "&" if "?" in url else "?"
        return url_for("sandbox.phone_open", url=url + joiner + urlencode({"encrypt_code": secret,
                                                                            "card_id": card.card_id}))

    cells = []
    for slot in CELL_SLOTS:
        if slot == "custom_cell1":
            cell = payload.get("custom_cell1") or {}
            name, tips, url = cell.get("name"), cell.get("tips", ""), cell.get("url")
        else:
            name, tips, url = base.get(f"{slot}_name"), base.get(f"{slot}_sub_title", ""), base.get(slot)
        if name and url:
            cells.append({"name": name, "tips": tips, "url": link(url)})
    activated = code.state == "activated"
    return {"code": code.code, "card_id": card.card_id, "state": code.state, "title": base.get("title", ""),
            "brand_name": base.get("brand_name", ""), "color": base.get("color", ""),
            "logo_url": base.get("logo_url", ""), "number": code.membership_number,
            "bonus": code.bonus if activated and payload.get("supply_bonus") else None,
            "balance": code.balance if activated and payload.get("supply_balance") else None,
            "bonus_url": link(payload["bonus_url"]) if payload.get("bonus_url") else None,
            "balance_url": link(payload["balance_url"]) if payload.get("balance_url") else None,
            "fields": _fields(payload, code, link) if activated else [],
            "prerogative": payload.get("prerogative", ""), "cells": cells,
            "activate_url": None if activated else _activation_link(payload, code, link)}


def _activation_link(payload, code, link):
    """激活会员卡: WeChat's own form for a card that asks for one (wx_activate), else the merchant's page."""
    if payload.get("wx_activate"):
        return url_for("sandbox.phone_card_form", code=code.code)
    return link(payload["activate_url"]) if payload.get("activate_url") else None


def _fields(payload, code, link):
    """The card's custom fields with what the app last set them to (等级 金卡)."""
    shown = []
    for index, slot in enumerate(store.FIELD_SLOTS, start=1):
        field = payload.get(slot)
        if isinstance(field, dict):
            url = field.get("url")
            shown.append({"name": store.field_name(field), "value": code.fields.get(str(index), ""),
                          "url": link(url) if url else None})
    return shown


@blueprint.route("/phone/cards/add", methods=["POST"])
def phone_card_add():
    merchant = _required_merchant()
    person = _person(merchant)
    if person is None:
        abort(404)
    try:
        row = store.add_to_package(db.session, merchant.wechat_app_id, request.form.get("card_id", ""),
                                   person.user_key)
    except ApiError:
        abort(404)
    boundary.commit_now()
    _tell(merchant, person, "user_get_card", row, IsGiveByFriend=0, FriendUserName="",
          OuterStr=request.form.get("outer_str", "")[:128], IsRestoreMemberCard=0)
    return redirect(url_for("sandbox.phone_cards", m=merchant.slug))


@blueprint.route("/phone/cards/delete", methods=["POST"])
def phone_card_delete():
    merchant = _required_merchant()
    person = _person(merchant)
    try:
        row = store.code_of(db.session, merchant.wechat_app_id or "", request.form.get("code", ""))
    except ApiError:
        abort(404)
    if person is None or row.openid != person.user_key:
        abort(404)
    row.state = "deleted"
    boundary.commit_now()
    _tell(merchant, person, "user_del_card", row)
    return redirect(url_for("sandbox.phone_cards", m=merchant.slug))


def _tell(merchant, person, event, row, **fields):
    """Send the card event to the merchant's callback as WeChat does (signed, in the account's message mode); the
    phone's chat shows it when the callback cannot be reached."""
    if not merchant.wechat_token:
        return
    account = events.account_of(merchant)
    xml = events.card_event_xml(account, person.user_key, event, row.card_id, row.code, **fields)
    try:
        delivery = events.deliver(current_app.config["PUBLIC_BASE_URL"], merchant.slug, account, xml)
        trouble = f"回调返回 HTTP {delivery.status}" if delivery.status != 200 else None
    except requests.RequestException as exc:
        trouble = f"无法连接回调地址：{exc.__class__.__name__}"
    if trouble:
        sbx.record(db.session, "chat", merchant.wechat_app_id, person.user_key, {"from": "system", "text": trouble})
        boundary.commit_now()


@blueprint.route("/phone/cards/activate", methods=["GET", "POST"])
def phone_card_form():
    """WeChat's activation form (一键激活): the fields the merchant's card asks, then, on submit, the merchant's
    page opened with the card, its encrypt_code, the user and the form's activate_ticket."""
    merchant = _merchant(request.values.get("m"))
    person = _person(merchant) if merchant is not None else None
    try:
        row = store.code_of(db.session, merchant.wechat_app_id or "", request.values.get("code", "")) \
            if person is not None else None
    except ApiError:
        row = None
    if row is None or row.openid != person.user_key or row.state != "added":
        abort(404)
    card = store.card_of(db.session, merchant.wechat_app_id, row.card_id)
    error = None
    if request.method == "POST":
        try:
            ticket = forms.submit(db.session, merchant.wechat_app_id, row.code, request.form)
        except ApiError as exc:
            db.session.rollback()
            error = exc.errmsg
        else:
            secret = encrypt_code(db.session, merchant.wechat_app_id, row.code)
            boundary.commit_now()
            target = card.payload["wx_activate_after_submit_url"]
            joiner = "&" if "?" in target else "?"
            query = urlencode({"card_id": row.card_id, "encrypt_code": secret, "outer_str": "",
                               "openid": person.user_key, "activate_ticket": ticket})
            return redirect(url_for("sandbox.phone_open", url=target + joiner + query))
    return render_template("sandbox/card_activate_form.html", merchant=merchant, code=row.code, error=error,
                           title=card.payload.get("base_info", {}).get("title", ""),
                           fields=forms.fields_of(card), values=request.form), 400 if error else 200
