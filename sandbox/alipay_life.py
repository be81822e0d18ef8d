"""Sandbox Alipay life account (生活号): the gateway methods that message a user, and the simulated phone's view of
them. A user must follow the app's life account (关注生活号, a button on the phone) before it may message them;
otherwise the method answers with Alipay's business error for it (PUB.MSG_SD_NOFOLLOW).

Methods (registered in sandbox/alipay_gateway.py METHODS, reached only after the gateway checked the app id and the
request's RSA2 signature):
- `alipay.open.public.message.single.send`: a template message, biz {to_user_id, template: {template_id,
  context: {head_color, url, action_name, first, keyword1.., remark: {color, value}}}}.
- `alipay.open.public.message.custom.send`: a message to one user, biz {to_user_id, msg_type: text|image-text,
  text: {content}, articles: [...]}; the sends (群发) use it per recipient.
- `alipay.open.public.user.follow.query`: biz {user_id} -> is_follow T/F.
The parameter errors beyond PUB.MSG_SD_NOFOLLOW are the sandbox's own stand-ins in Alipay's answer shape.
"""
import re
import secrets

from flask import abort, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from domain.clock import now_utc
from extensions import db
from models import Merchant, SandboxUser
from models.sandbox_alipay_life import SandboxLifeFollow, SandboxLifeMessage
from sandbox import blueprint
from sandbox.alipay_trades import biz, business_error
from web import boundary

USER_ID = re.compile(r"^2088[0-9]{12}$")
TEMPLATE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
ACTION_NAME_MAX = 16  # characters of the link text at the bottom of a template message
VALUE_MAX = 200
CONTENT_MAX = 2000
ALIPAY_USER_COOKIE = "sandbox_alipay_user"  # sandbox/alipay_auth.py: the phone's current Alipay user (2088...)
NOT_FOLLOWING = ("PUB.MSG_SD_NOFOLLOW", "用户未关注该生活号，无法向其发送消息")


def missing(name):
    return {"code": "40001", "msg": "Missing Required Arguments", "sub_code": "isv.missing-parameter",
            "sub_msg": f"缺少必选参数 {name}"}


def invalid(sub_msg):
    return {"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-parameter", "sub_msg": sub_msg}


# --- gateway methods ------------------------------------------------------------------------------------------------

def message_single_send(params):
    content = biz(params)
    to_user_id = str(content.get("to_user_id") or "")
    template = content.get("template")
    if not to_user_id:
        return missing("to_user_id")
    if not isinstance(template, dict) or not template.get("template_id"):
        return missing("template.template_id")
    problem = _template_problem(template)
    if problem:
        return invalid(problem)
    if not USER_ID.match(to_user_id):
        return invalid("to_user_id 不是有效的支付宝用户 ID")
    return _delivered(params["app_id"], to_user_id, "alipay.open.public.message.single.send", content,
                      str(template["template_id"]))


def _template_problem(template):
    """What is wrong with a template message's template and context (None when it can be sent)."""
    if not TEMPLATE_ID.match(str(template["template_id"])):
        return "template_id 格式不正确"
    context = template.get("context")
    if not isinstance(context, dict):
        return "缺少 template.context"
    for name in ("head_color", "url", "action_name"):
        if not isinstance(context.get(name), str) or not context[name].strip():
            return f"缺少 context.{name}"
    if not COLOR.match(context["head_color"]):
        return "head_color 须为 #RRGGBB 色值"
    if not re.match(r"^https?://", context["url"]):
        return "url 须为 http(s) 地址"
    if len(context["action_name"]) > ACTION_NAME_MAX:
        return "action_name 过长"
    for name, field in context.items():
        if name in ("head_color", "url", "action_name"):
            continue
        if not isinstance(field, dict) or not isinstance(field.get("value"), str):
            return f"context.{name} 须为 {{color, value}}"
        if len(field["value"]) > VALUE_MAX or (field.get("color") and not COLOR.match(str(field["color"]))):
            return f"context.{name} 的值或颜色不正确"
    return None


def message_custom_send(params):
    content = biz(params)
    to_user_id = str(content.get("to_user_id") or "")
    msg_type = content.get("msg_type")
    if not to_user_id:
        return missing("to_user_id")
    if msg_type not in ("text", "image-text"):
        return missing("msg_type") if not msg_type else invalid("msg_type 只支持 text 或 image-text")
    if not USER_ID.match(to_user_id):
        return invalid("to_user_id 不是有效的支付宝用户 ID")
    if msg_type == "text":
        text = content.get("text")
        if not isinstance(text, dict) or not str(text.get("content") or "").strip():
            return missing("text.content")
        if len(str(text["content"])) > CONTENT_MAX:
            return invalid("text.content 过长")
    elif not isinstance(content.get("articles"), list) or not content["articles"]:
        return missing("articles")
    return _delivered(params["app_id"], to_user_id, "alipay.open.public.message.custom.send", content, None)


def user_follow_query(params):
    user_id = str(biz(params).get("user_id") or "")
    if not user_id:
        return missing("user_id")
    return {"code": "10000", "msg": "Success", "is_follow": "T" if following(params["app_id"], user_id) else "F"}


def _delivered(app_id, to_user_id, method, content, template_id):
    if not following(app_id, to_user_id):
        return business_error(*NOT_FOLLOWING)
    msg_id = now_utc().strftime("%Y%m%d") + secrets.token_hex(12)
    db.session.add(SandboxLifeMessage(app_id=app_id, to_user_id=to_user_id, method=method, msg_id=msg_id,
                                      template_id=template_id, payload=content))
    boundary.commit_now()
    return {"code": "10000", "msg": "Success", "msg_id": msg_id}


def following(app_id, user_id):
    return bool(db.session.scalar(select(SandboxLifeFollow.following).where(
        SandboxLifeFollow.app_id == app_id, SandboxLifeFollow.user_id == user_id)))


def set_following(session, app_id, user_id, value):
    """Follow (or unfollow) the app's life account as this Alipay user; two taps racing leave one row."""
    row = session.scalars(select(SandboxLifeFollow).where(SandboxLifeFollow.app_id == app_id,
                                                          SandboxLifeFollow.user_id == user_id)).one_or_none()
    if row is None:
        try:
            with session.begin_nested():
                row = SandboxLifeFollow(app_id=app_id, user_id=user_id, following=bool(value), changed_at=now_utc())
                session.add(row)
                session.flush()
            return row
        except IntegrityError:
            row = session.scalars(select(SandboxLifeFollow).where(SandboxLifeFollow.app_id == app_id,
                                                                  SandboxLifeFollow.user_id == user_id)).one()
    row.following, row.changed_at = bool(value), now_utc()
    session.flush()
    return row


def messages_to(session, app_id, user_id, limit=50):
    return session.scalars(select(SandboxLifeMessage).where(SandboxLifeMessage.app_id == app_id,
                                                            SandboxLifeMessage.to_user_id == user_id)
                           .order_by(SandboxLifeMessage.id.desc()).limit(limit)).all()


# --- the simulated phone -----------------------------------------------------------------------------------------

def _merchant_of(slug):
    merchant = db.session.scalars(select(Merchant).where(Merchant.slug == (slug or "").strip().lower())).one_or_none()
    if merchant is None or not merchant.alipay_app_id:
        abort(404)
    return merchant


def _alipay_user(merchant, user_key):
    if not USER_ID.match(user_key or ""):
        return None
    return db.session.scalars(select(SandboxUser).where(SandboxUser.channel == "alipay",
                                                        SandboxUser.app_id == merchant.alipay_app_id,
                                                        SandboxUser.user_key == user_key)).one_or_none()


@blueprint.route("/phone/alipay-messages")
def phone_alipay_messages():
    """The life account as the phone's Alipay user sees it: follow it, and the messages it sent them."""
    merchant = _merchant_of(request.args.get("m"))
    person = _alipay_user(merchant, request.args.get("u") or request.cookies.get(ALIPAY_USER_COOKIE, ""))
    messages = messages_to(db.session, merchant.alipay_app_id, person.user_key) if person else []
    return render_template("sandbox/alipay_messages.html", merchant=merchant, person=person, messages=messages,
                           following=following(merchant.alipay_app_id, person.user_key) if person else False)


@blueprint.route("/phone/alipay/follow", methods=["POST"])
def phone_alipay_follow():
    """关注生活号 / 取消关注 as the chosen Alipay user, then show the life account's messages."""
    merchant = _merchant_of(request.form.get("m"))
    person = _alipay_user(merchant, request.form.get("u", ""))
    if person is None:
        abort(404)
    set_following(db.session, merchant.alipay_app_id, person.user_key, request.form.get("action") != "unfollow")
    boundary.commit_now()
    response = redirect(url_for("sandbox.phone_alipay_messages", m=merchant.slug, u=person.user_key))
    response.set_cookie(ALIPAY_USER_COOKIE, person.user_key, samesite="Lax", httponly=True)
    return response


# method -> handler(params), merged into the gateway's METHODS
METHODS = {
    "alipay.open.public.message.single.send": message_single_send,
    "alipay.open.public.message.custom.send": message_custom_send,
    "alipay.open.public.user.follow.query": user_follow_query,
}
