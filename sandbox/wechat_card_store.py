"""What the sandbox's card API checks and keeps for member cards (MEMBER_CARD), as WeChat documents it.

card/create takes {"card": {"card_type": "MEMBER_CARD", "member_card": {"base_info": {...}, "prerogative",
"supply_bonus", "supply_balance", ...}}}; the face's texts are held to WeChat's limits (45021 when too long, 41011
when a required one is missing), the colour to the palette, and only this app's cards and codes are found (40073
an unknown card_id, 40056 an unknown code). A simulated user adds a card to their package (a code of 12 digits);
the app activates it (card/membercard/activate) and then keeps its points and balance (card/membercard/updateuser).
"""
import copy
import secrets

from sqlalchemy import select

from domain.wechat_member_card import COLORS, LIMITS, URL_BYTES, text_fits
from models import SandboxCard, SandboxCardCode
from sandbox.wechat_state import ERRORS, ApiError

ERRORS.update({
    40056: "invalid serial code",
    40071: "invalid card type",
    40073: "invalid card id",
    40078: "invalid card status",
    40127: "user card has been deleted or transferred",
    41011: "missing required fields",
    41012: "missing card_id",
    45021: "field length exceeds the limit",
})
REQUIRED_BASE = ("logo_url", "brand_name", "code_type", "title", "color", "notice", "description")
CODE_TYPES = {"CODE_TYPE_TEXT", "CODE_TYPE_BARCODE", "CODE_TYPE_QRCODE", "CODE_TYPE_ONLY_QRCODE",
              "CODE_TYPE_ONLY_BARCODE", "CODE_TYPE_NONE"}
BASE_LIMITS = {"title": LIMITS["title"], "brand_name": LIMITS["brand_name"], "notice": LIMITS["notice"],
               "description": LIMITS["description"], "custom_url_name": LIMITS["cell_name"],
               "custom_url_sub_title": LIMITS["cell_tips"], "promotion_url_name": LIMITS["cell_name"],
               "promotion_url_sub_title": LIMITS["cell_tips"]}
# What card/update may change of a member card's base_info (brand_name and code_type are fixed once created).
UPDATABLE_BASE = {"title", "color", "logo_url", "notice", "description", "custom_url_name", "custom_url",
                  "custom_url_sub_title", "promotion_url_name", "promotion_url", "promotion_url_sub_title",
                  "service_phone"}
MAX_AMOUNT = 10 ** 12
# custom_field1..3: what a member card shows beside points and balance, named by type (or by the card's own name).
FIELD_NAMES = {"FIELD_NAME_TYPE_LEVEL": "等级", "FIELD_NAME_TYPE_COUPON": "优惠券", "FIELD_NAME_TYPE_STAMP": "印花",
               "FIELD_NAME_TYPE_DISCOUNT": "折扣", "FIELD_NAME_TYPE_ACHIEVEMEN": "成就", "FIELD_NAME_TYPE_MILEAGE": "里程",
               "FIELD_NAME_TYPE_SET_POINTS": "集点", "FIELD_NAME_TYPE_TIMS": "次数"}
FIELD_SLOTS = ("custom_field1", "custom_field2", "custom_field3")


# --- the card ----------------------------------------------------------------------------------------------

def create(session, app_id, data):
    card = data.get("card")
    if not isinstance(card, dict):
        raise ApiError(47001)
    if card.get("card_type") != "MEMBER_CARD":
        raise ApiError(40071)  # WeChat stopped new coupons in the card package; the sandbox plays member cards
    member_card = card.get("member_card")
    if not isinstance(member_card, dict) or not isinstance(member_card.get("base_info"), dict):
        raise ApiError(41011)
    base = member_card["base_info"]
    if any(not isinstance(base.get(name), str) or not base[name].strip() for name in REQUIRED_BASE):
        raise ApiError(41011)
    if base["code_type"] not in CODE_TYPES:
        raise ApiError(47001)
    if not isinstance(member_card.get("prerogative"), str) or not member_card["prerogative"].strip():
        raise ApiError(41011)
    if not isinstance(member_card.get("supply_bonus"), bool) or not isinstance(member_card.get("supply_balance"),
                                                                              bool):
        raise ApiError(41011)
    _check_member_card(member_card)
    row = SandboxCard(app_id=app_id, card_id="p" + secrets.token_urlsafe(20)[:27], card_type="MEMBER_CARD",
                      payload=copy.deepcopy(member_card))
    session.add(row)
    session.flush()
    return row


def update(session, app_id, data):
    row = card_of(session, app_id, data.get("card_id"))
    changes = data.get("member_card")
    if not isinstance(changes, dict):
        raise ApiError(47001)
    base_changes = changes.get("base_info") or {}
    if not isinstance(base_changes, dict):
        raise ApiError(47001)
    _check_member_card(changes)
    payload = copy.deepcopy(row.payload)
    payload["base_info"].update({key: value for key, value in base_changes.items() if key in UPDATABLE_BASE})
    payload.update({key: value for key, value in changes.items() if key != "base_info"})
    row.payload = payload
    row.updates += 1
    session.flush()
    return row


def _check_member_card(member_card):
    base = member_card.get("base_info") or {}
    for name, chars in BASE_LIMITS.items():
        if name in base and (not isinstance(base[name], str) or not text_fits(base[name], chars)):
            raise ApiError(45021, f"{name} exceeds the limit")
    if "color" in base and base["color"] not in COLORS:
        raise ApiError(47001, "invalid color")
    for name in ("logo_url", "custom_url", "promotion_url"):
        if name in base and not _url(base[name]) and not (name != "logo_url" and base[name] == ""):  # "": no entry
            raise ApiError(45021 if isinstance(base[name], str) else 47001, f"{name} is invalid")
    if "prerogative" in member_card and (not isinstance(member_card["prerogative"], str)
                                         or not text_fits(member_card["prerogative"], LIMITS["prerogative"])):
        raise ApiError(45021, "prerogative exceeds the limit")
    for name in ("bonus_url", "balance_url"):
        if name in member_card and not _url(member_card[name]):
            raise ApiError(47001, f"{name} is invalid")
    for slot in FIELD_SLOTS:
        if slot in member_card:
            _check_field(slot, member_card[slot])
    cell = member_card.get("custom_cell1")
    if cell is not None and cell != {"name": "", "tips": "", "url": ""}:  # all empty: the entry taken off the card
        if not isinstance(cell, dict) or not isinstance(cell.get("name"), str) or not _url(cell.get("url")):
            raise ApiError(47001, "custom_cell1 is invalid")
        if not text_fits(cell["name"], LIMITS["cell_name"]) or not text_fits(cell.get("tips") or "",
                                                                             LIMITS["cell_tips"]):
            raise ApiError(45021, "custom_cell1 exceeds the limit")


def _check_field(slot, field):
    if not isinstance(field, dict) or not (field.get("name_type") in FIELD_NAMES or isinstance(field.get("name"), str)):
        raise ApiError(47001, f"{slot} is invalid")
    if "name" in field and not text_fits(field["name"], 4):
        raise ApiError(45021, f"{slot} exceeds the limit")
    if field.get("url") not in (None, "") and not _url(field["url"]):
        raise ApiError(47001, f"{slot} is invalid")


def field_name(field):
    """What the card shows as a custom field's label."""
    return FIELD_NAMES.get(field.get("name_type")) or field.get("name") or ""


def _url(value):
    return isinstance(value, str) and value.startswith(("http://", "https://")) and len(value.encode()) <= URL_BYTES


def card_of(session, app_id, card_id):
    if not card_id:
        raise ApiError(41012)
    row = session.scalars(select(SandboxCard).where(SandboxCard.card_id == str(card_id))).one_or_none()
    if row is None or row.app_id != app_id:
        raise ApiError(40073)
    return row


def card_json(row):
    payload = copy.deepcopy(row.payload)
    payload["base_info"] = {**payload.get("base_info", {}), "id": row.card_id, "status": "CARD_STATUS_VERIFY_OK"}
    return {"card_type": row.card_type, "member_card": payload}


def cards(session, app_id):
    return session.scalars(select(SandboxCard).where(SandboxCard.app_id == app_id).order_by(SandboxCard.id)).all()


# --- codes: a user's cards ------------------------------------------------------------------------------------

def add_to_package(session, app_id, card_id, openid):
    """The user adds the card (领取): a new code of 12 digits, state added."""
    card_of(session, app_id, card_id)
    row = SandboxCardCode(app_id=app_id, card_id=card_id, openid=openid, state="added",
                          code="".join(secrets.choice("0123456789") for _ in range(12)))
    session.add(row)
    session.flush()
    return row


def code_of(session, app_id, code, card_id=None):
    row = session.scalars(select(SandboxCardCode).where(SandboxCardCode.code == str(code or ""))).one_or_none()
    if row is None or row.app_id != app_id:
        raise ApiError(40056)
    if card_id and row.card_id != card_id:
        raise ApiError(40056)
    return row


def activate(session, app_id, data):
    row = code_of(session, app_id, data.get("code"), data.get("card_id"))
    number = data.get("membership_number")
    if not isinstance(number, str) or not number.strip():
        raise ApiError(41011)
    if len(number) > 32:
        raise ApiError(45021, "membership_number exceeds the limit")
    if row.state == "deleted":
        raise ApiError(40127)
    bonus, balance = _amount(data, "init_bonus", row.bonus), _amount(data, "init_balance", row.balance)
    row.state, row.membership_number, row.bonus, row.balance = "activated", number, bonus, balance
    row.fields = {**row.fields, **_field_values(data, "init_custom_field_value")}
    session.flush()
    return row


def update_user(session, app_id, data):
    """card/membercard/updateuser: `bonus`/`balance` set the totals (they win over `add_*`, as WeChat says, so a
    retried call cannot count twice); `add_bonus`/`add_balance` move them otherwise."""
    row = code_of(session, app_id, data.get("code"), data.get("card_id"))
    if not data.get("card_id"):
        raise ApiError(41012)
    if row.state == "deleted":
        raise ApiError(40127)
    if row.state != "activated":
        raise ApiError(40078)
    bonus = _amount(data, "bonus", None)
    balance = _amount(data, "balance", None)
    row.bonus = bonus if bonus is not None else row.bonus + _amount(data, "add_bonus", 0, signed=True)
    row.balance = balance if balance is not None else row.balance + _amount(data, "add_balance", 0, signed=True)
    row.fields = {**row.fields, **_field_values(data, "custom_field_value")}
    row.updates += 1
    session.flush()
    return row


def _amount(data, name, default, signed=False):
    if name not in data:
        return default
    value = data[name]
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > MAX_AMOUNT or (value < 0 and not signed):
        raise ApiError(47001, f"{name} is invalid")
    return value


def _field_values(data, prefix):
    values = {}
    for index in (1, 2, 3):
        value = data.get(f"{prefix}{index}")
        if value is None:
            continue
        if not isinstance(value, str) or not text_fits(value, 6):
            raise ApiError(45021, f"{prefix}{index} exceeds the limit")
        values[str(index)] = value
    return values


def codes_of_user(session, app_id, openid):
    return session.scalars(select(SandboxCardCode).where(SandboxCardCode.app_id == app_id,
                                                         SandboxCardCode.openid == openid,
                                                         SandboxCardCode.state != "deleted")
                           .order_by(SandboxCardCode.id.desc())).all()


def codes_waiting(session, app_id):
    """The app's cards added to a package and not activated yet."""
    return session.scalars(select(SandboxCardCode).where(SandboxCardCode.app_id == app_id,
                                                         SandboxCardCode.state == "added")).all()
