"""The sandbox's Alipay member card API (支付宝会员卡), answered through the gateway as Alipay documents it:

- alipay.marketing.card.template.create / .modify: request_id (a repeated one gets the first answer), card_type
  OUT_MEMBER_CARD, write_off_type, template_style_info {card_show_name, logo_id, background_id, bg_color},
  column_info_list (the card's entries), field_rule_list (Balance / Point / Level assigned from requests),
  card_action_list; answers template_id.
- alipay.marketing.card.open: out_serial_no (idempotent), card_template_id, card_user_info {user_uni_id,
  user_uni_id_type UID}, card_ext_info {external_card_no, open_date, valid_date, point, balance, level}; answers
  card_info with Alipay's biz_card_no. One open card per user and template (CARD_HAS_BEEN_OPENED).
- alipay.marketing.card.update: target_card_no, target_card_no_type BIZ_CARD, occur_time, card_info {point,
  balance, level} set as totals.
- alipay.marketing.card.query and alipay.marketing.card.delete.

Another app's template or card is not found (TEMPLATE_NOT_EXIST / CARD_NOT_EXIST), as on Alipay.
"""
import re
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import SandboxAlipayCard, SandboxAlipayCardRequest, SandboxAlipayCardTemplate, SandboxUser
from sandbox.alipay_trades import beijing_now, biz, business_error
from web import boundary

SUCCESS = {"code": "10000", "msg": "Success"}
WRITE_OFF_TYPES = {"qrcode", "dqrcode", "barcode", "dbarcode", "text", "none"}
OPERATE_TYPES = {"openNative", "openWeb", "staticInfo"}
FIELD_NAMES = {"Balance", "Point", "Level", "OpenDate", "ValidDate", "ExternalCardNo"}
RULE_NAMES = {"ASSIGN_FROM_REQUEST", "DATE_IN_FUTURE", "CONST"}
COLOR = re.compile(r"^rgb\(\s*\d{1,3}\s*,\s*\d{1,3}\s*,\s*\d{1,3}\s*\)$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
POINT = re.compile(r"^(0|[1-9][0-9]{0,11})$")
BALANCE = re.compile(r"^(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?$")
SERIAL = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
LIMITS = {"card_show_name": 16, "column_title": 8, "column_value": 12, "action_text": 8, "level": 12,
          "external_card_no": 32, "url": 512, "biz_no_prefix": 10}
MAX_COLUMNS, MAX_ACTIONS = 10, 3


class Refused(Exception):
    def __init__(self, sub_code, sub_msg):
        super().__init__(sub_msg)
        self.body = business_error(sub_code, sub_msg)


def _handler(function):
    def handle(params):
        try:
            return function(params["app_id"], biz(params))
        except Refused as refusal:
            db.session.rollback()
            return refusal.body
    return handle


def _invalid(what):
    return Refused("INVALID_PARAMETER", f"参数有误：{what}")


def _text(content, name, limit, required=True):
    value = content.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise Refused("MISSING_REQUIRED_PARAM" if value in (None, "") else "INVALID_PARAMETER", f"缺少参数：{name}")
    if len(value) > limit:
        raise _invalid(f"{name} 超过 {limit} 个字符")
    return value


# --- idempotency by request id ------------------------------------------------------------------------------

def _request_key(app_id, method, content, name):
    """The request's own id (`request_id`, `out_serial_no`), required; with the answer an earlier call got."""
    key = content.get(name)
    if not isinstance(key, str) or not SERIAL.match(key):
        raise Refused("MISSING_REQUIRED_PARAM", f"缺少参数：{name}")
    return key, _answered(app_id, method, key)


def _answered(app_id, method, request_id):
    return db.session.scalar(select(SandboxAlipayCardRequest.answer).where(
        SandboxAlipayCardRequest.app_id == app_id, SandboxAlipayCardRequest.method == method,
        SandboxAlipayCardRequest.request_id == request_id))


def _remember(app_id, method, request_id, answer):
    """Keep the answer under its request id; a concurrent twin that stored first wins, and its answer is given."""
    try:
        with db.session.begin_nested():
            db.session.add(SandboxAlipayCardRequest(app_id=app_id, method=method, request_id=request_id,
                                                    answer=answer))
            db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return _answered(app_id, method, request_id)
    boundary.commit_now()
    return answer


# --- templates ----------------------------------------------------------------------------------------------

def _template_fields(content, creating):
    """The template's parts checked as Alipay does; on modify only what is sent."""
    fields = {}
    if creating or "card_type" in content:
        if content.get("card_type") != "OUT_MEMBER_CARD":
            raise _invalid("card_type 仅支持 OUT_MEMBER_CARD")
        fields["card_type"] = "OUT_MEMBER_CARD"
    if creating or "write_off_type" in content:
        if content.get("write_off_type") not in WRITE_OFF_TYPES:
            raise _invalid("write_off_type")
        fields["write_off_type"] = content["write_off_type"]
    if "biz_no_prefix" in content:
        fields["biz_no_prefix"] = _text(content, "biz_no_prefix", LIMITS["biz_no_prefix"])
    if creating or "template_style_info" in content:
        fields["template_style_info"] = _style(content.get("template_style_info"))
    if creating or "field_rule_list" in content:
        fields["field_rule_list"] = _rules(content.get("field_rule_list"))
    if "column_info_list" in content:
        fields["column_info_list"] = _columns(content["column_info_list"])
    if "card_action_list" in content:
        fields["card_action_list"] = _actions(content["card_action_list"])
    return fields


def _style(style):
    if not isinstance(style, dict):
        raise Refused("MISSING_REQUIRED_PARAM", "缺少参数：template_style_info")
    _text(style, "card_show_name", LIMITS["card_show_name"])
    _text(style, "logo_id", 64)
    _text(style, "background_id", 64)
    for name in ("bg_color", "color"):
        if name in style and not (isinstance(style[name], str) and COLOR.match(style[name])):
            raise _invalid(f"template_style_info.{name} 应为 rgb(r,g,b)")
    return dict(style)


def _rules(rules):
    if not isinstance(rules, list) or not rules:
        raise Refused("MISSING_REQUIRED_PARAM", "缺少参数：field_rule_list")
    for rule in rules:
        if not isinstance(rule, dict) or rule.get("field_name") not in FIELD_NAMES \
                or rule.get("rule_name") not in RULE_NAMES or not isinstance(rule.get("rule_value"), str):
            raise _invalid("field_rule_list")
    return list(rules)


def _url(value):
    return isinstance(value, str) and value.startswith(("http://", "https://")) and len(value) <= LIMITS["url"]


def _columns(columns):
    if not isinstance(columns, list) or len(columns) > MAX_COLUMNS:
        raise _invalid("column_info_list")
    for column in columns:
        if not isinstance(column, dict) or not isinstance(column.get("code"), str) or not column["code"]:
            raise _invalid("column_info_list.code")
        _text(column, "title", LIMITS["column_title"])
        if column.get("operate_type", "openWeb") not in OPERATE_TYPES:
            raise _invalid("column_info_list.operate_type")
        more = column.get("more_info")
        if more is not None and not isinstance(more, dict):
            raise _invalid("column_info_list.more_info")
        if column.get("operate_type", "openWeb") == "openWeb" and not _url((more or {}).get("url")):
            raise _invalid("column_info_list.more_info.url")
    return list(columns)


def _actions(actions):
    if not isinstance(actions, list) or len(actions) > MAX_ACTIONS:
        raise _invalid("card_action_list")
    for action in actions:
        if not isinstance(action, dict) or not isinstance(action.get("code"), str) or not _url(action.get("url")):
            raise _invalid("card_action_list")
        _text(action, "text", LIMITS["action_text"])
    return list(actions)


@_handler
def template_create(app_id, content):
    request_id, earlier = _request_key(app_id, "template.create", content, "request_id")
    if earlier is not None:
        return earlier
    payload = _template_fields(content, creating=True)
    template_id = "2026" + "".join(secrets.choice("0123456789") for _ in range(28))
    db.session.add(SandboxAlipayCardTemplate(app_id=app_id, template_id=template_id, payload=payload))
    db.session.flush()
    return _remember(app_id, "template.create", request_id, {**SUCCESS, "template_id": template_id})


def template_of(app_id, template_id):
    row = db.session.scalars(select(SandboxAlipayCardTemplate).where(
        SandboxAlipayCardTemplate.template_id == str(template_id or ""))).one_or_none()
    if row is None or row.app_id != app_id:
        raise Refused("TEMPLATE_NOT_EXIST", "模板不存在")
    return row


@_handler
def template_modify(app_id, content):
    request_id, earlier = _request_key(app_id, "template.modify", content, "request_id")
    if earlier is not None:
        return earlier
    row = template_of(app_id, content.get("template_id"))
    changes = _template_fields(content, creating=False)
    row.payload = {**row.payload, **changes}
    row.updates += 1
    db.session.flush()
    return _remember(app_id, "template.modify", request_id, {**SUCCESS, "template_id": row.template_id})


# --- cards ----------------------------------------------------------------------------------------------------

def _figures(info, card=None):
    """point / balance / level of a card_ext_info or card_info, checked; unchanged when absent."""
    point = info.get("point")
    balance = info.get("balance")
    level = info.get("level")
    if point is not None and not POINT.match(str(point)):
        raise _invalid("point")
    if balance is not None and not BALANCE.match(str(balance)):
        raise _invalid("balance")
    if level is not None and (not isinstance(level, str) or len(level) > LIMITS["level"]):
        raise _invalid("level")
    return {"point": str(point) if point is not None else (card.point if card else "0"),
            "balance": str(balance) if balance is not None else (card.balance if card else "0.00"),
            "level": level if level is not None else (card.level if card else "")}


def card_json(card):
    return {"biz_card_no": card.biz_card_no, "external_card_no": card.external_card_no,
            "open_date": card.open_date, "valid_date": card.valid_date, "point": card.point,
            "balance": card.balance, "level": card.level}


@_handler
def card_open(app_id, content):
    serial, earlier = _request_key(app_id, "card.open", content, "out_serial_no")
    if earlier is not None:
        return earlier
    template = template_of(app_id, content.get("card_template_id"))
    user = content.get("card_user_info")
    if not isinstance(user, dict) or not isinstance(user.get("user_uni_id"), str):
        raise Refused("MISSING_REQUIRED_PARAM", "缺少参数：card_user_info.user_uni_id")
    if user.get("user_uni_id_type", "UID") != "UID":
        raise _invalid("card_user_info.user_uni_id_type")
    user_id = user["user_uni_id"]
    if db.session.scalar(select(SandboxUser.id).where(SandboxUser.channel == "alipay",
                                                      SandboxUser.user_key == user_id).limit(1)) is None:
        raise Refused("USER_NOT_EXIST", "用户不存在")
    ext = content.get("card_ext_info")
    if not isinstance(ext, dict):
        raise Refused("MISSING_REQUIRED_PARAM", "缺少参数：card_ext_info")
    external = _text(ext, "external_card_no", LIMITS["external_card_no"])
    dates = {}
    for name in ("open_date", "valid_date"):
        if not isinstance(ext.get(name), str) or not DATE.match(ext[name]):
            raise _invalid(f"card_ext_info.{name} 应为 yyyy-MM-dd HH:mm:ss")
        dates[name] = ext[name]
    figures = _figures(ext)
    if db.session.scalar(select(SandboxAlipayCard.id).where(
            SandboxAlipayCard.template_id == template.template_id, SandboxAlipayCard.user_id == user_id,
            SandboxAlipayCard.state == "open").limit(1)) is not None:
        raise Refused("CARD_HAS_BEEN_OPENED", "用户已领取该会员卡")
    prefix = template.payload.get("biz_no_prefix") or ""
    card = SandboxAlipayCard(app_id=app_id, template_id=template.template_id, user_id=user_id,
                             biz_card_no=prefix + "".join(secrets.choice("0123456789") for _ in range(14)),
                             external_card_no=external, state="open", **dates, **figures)
    db.session.add(card)
    db.session.flush()
    return _remember(app_id, "card.open", serial, {**SUCCESS, "card_info": card_json(card)})


def card_of(app_id, content):
    if content.get("target_card_no_type", "BIZ_CARD") != "BIZ_CARD":
        raise _invalid("target_card_no_type 仅支持 BIZ_CARD")
    number = content.get("target_card_no")
    if not isinstance(number, str) or not number:
        raise Refused("MISSING_REQUIRED_PARAM", "缺少参数：target_card_no")
    card = db.session.scalars(select(SandboxAlipayCard).where(SandboxAlipayCard.biz_card_no == number)).one_or_none()
    if card is None or card.app_id != app_id or card.state != "open":
        raise Refused("CARD_NOT_EXIST", "会员卡不存在")
    return card


@_handler
def card_update(app_id, content):
    card = card_of(app_id, content)
    if not isinstance(content.get("occur_time"), str) or not DATE.match(content["occur_time"]):
        raise Refused("MISSING_REQUIRED_PARAM", "缺少参数：occur_time")
    info = content.get("card_info")
    if not isinstance(info, dict):
        raise Refused("MISSING_REQUIRED_PARAM", "缺少参数：card_info")
    for name, value in _figures(info, card).items():
        setattr(card, name, value)
    card.updates += 1
    boundary.commit_now()
    return dict(SUCCESS)


@_handler
def card_query(app_id, content):
    card = card_of(app_id, content)
    return {**SUCCESS, "card_info": card_json(card), "schema_url": ""}


@_handler
def card_delete(app_id, content):
    serial, earlier = _request_key(app_id, "card.delete", content, "out_serial_no")
    if earlier is not None:
        return earlier
    card = card_of(app_id, content)
    card.state = "deleted"
    db.session.flush()
    return _remember(app_id, "card.delete", serial, {**SUCCESS, "biz_serial_no": secrets.token_hex(12)})


def cards_of_user(app_id, user_id):
    """The user's open cards of this app, with their templates."""
    rows = db.session.execute(select(SandboxAlipayCard, SandboxAlipayCardTemplate).join(
        SandboxAlipayCardTemplate, SandboxAlipayCardTemplate.template_id == SandboxAlipayCard.template_id).where(
        SandboxAlipayCard.app_id == app_id, SandboxAlipayCard.user_id == user_id,
        SandboxAlipayCard.state == "open").order_by(SandboxAlipayCard.id.desc())).all()
    return [(card, template) for card, template in rows]


METHODS = {
    "alipay.marketing.card.template.create": template_create,
    "alipay.marketing.card.template.modify": template_modify,
    "alipay.marketing.card.open": card_open,
    "alipay.marketing.card.update": card_update,
    "alipay.marketing.card.query": card_query,
    "alipay.marketing.card.delete": card_delete,
}
