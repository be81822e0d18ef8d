"""WeChat's own activation form for member cards (一键激活, the jump kind): the app sets which fields the form asks
(card/membercard/activateuserform/set); the user fills it in WeChat (the phone's page here); WeChat then opens the
card's wx_activate_after_submit_url with `activate_ticket`, whose answers the app reads once
(card/membercard/activatetempinfo/get) before activating the card itself.

The sandbox keeps the form on the card's payload and a submitted form on the code's row."""
import re
import secrets

from domain.wechat_member_card import text_fits
from sandbox import wechat_card_store as store
from sandbox.wechat_state import ERRORS, ApiError

ERRORS.update({40097: "invalid args", 40099: "invalid code, this code has consumed"})
FLAGS = {"USER_FORM_INFO_FLAG_MOBILE": "手机号", "USER_FORM_INFO_FLAG_NAME": "姓名",
         "USER_FORM_INFO_FLAG_BIRTHDAY": "生日", "USER_FORM_INFO_FLAG_SEX": "性别"}
MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
BIRTHDAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
TICKET, ANSWERS = "form:ticket", "form:answers"  # keys on the code's fields


def set_form(session, app_id, data):
    card = store.card_of(session, app_id, data.get("card_id"))
    form = {}
    for part in ("required_form", "optional_form"):
        given = data.get(part) or {}
        if not isinstance(given, dict):
            raise ApiError(47001, f"{part} is invalid")
        flags = given.get("common_field_id_list") or []
        if not isinstance(flags, list) or any(flag not in FLAGS for flag in flags):
            raise ApiError(47001, f"{part}.common_field_id_list is invalid")
        form[part] = flags
    if not form["required_form"] and not form["optional_form"]:
        raise ApiError(41011)
    card.payload = {**card.payload, "activate_form": form}
    session.flush()
    return card


def fields_of(card):
    """[(flag, label, required)] the card's form asks, in order."""
    form = card.payload.get("activate_form") or {}
    return [(flag, FLAGS[flag], part == "required_form") for part in ("required_form", "optional_form")
            for flag in form.get(part, [])]


def submit(session, app_id, code, answers):
    """The user's answers, checked as WeChat's form does; the ticket the merchant's page is opened with."""
    row = store.code_of(session, app_id, code)
    card = store.card_of(session, app_id, row.card_id)
    if row.state != "added":
        raise ApiError(40099)
    kept = []
    for flag, label, required in fields_of(card):
        value = (answers.get(flag) or "").strip()
        if required and not value:
            raise ApiError(41011, f"请填写{label}")
        if value and not _valid(flag, value):
            raise ApiError(40097, f"{label}格式不正确")
        if value:
            kept.append({"name": flag, "value": value})
    ticket = secrets.token_urlsafe(32)
    row.fields = {**row.fields, TICKET: ticket, ANSWERS: kept}
    session.flush()
    return ticket


def _valid(flag, value):
    if flag == "USER_FORM_INFO_FLAG_MOBILE":
        return bool(MOBILE.match(value))
    if flag == "USER_FORM_INFO_FLAG_BIRTHDAY":
        return bool(BIRTHDAY.match(value))
    return text_fits(value, 20)


def answers_for(session, app_id, ticket):
    """activatetempinfo/get: {"common_field_list": [...]} of the form this ticket was given for, to its own app."""
    if not isinstance(ticket, str) or not ticket:
        raise ApiError(40097, "invalid activate_ticket")
    for row in store.codes_waiting(session, app_id):
        if row.fields.get(TICKET) == ticket:
            return {"common_field_list": row.fields.get(ANSWERS, []), "custom_field_list": []}
    raise ApiError(40097, "invalid activate_ticket")
