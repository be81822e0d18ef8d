"""The sandbox's WeChat: what it issued (tokens, codes, tickets), its simulated users, and what it was sent.

Dev and tests only (the sandbox blueprint is off in production). WeChat's error codes are kept so the
app's wechatpy clients react exactly as they would to the real API.
"""
import hmac
import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, func, or_, select, update

from domain.clock import now_utc
from models import (Merchant, SandboxGrant, SandboxMassMessage, SandboxMassRecipient, SandboxMedia, SandboxOutbox,
                    SandboxUser)

TOKEN_TTL = timedelta(seconds=7200)
CODE_TTL = timedelta(minutes=5)
ERRORS = {
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40004: "invalid media type",
    40005: "invalid file type",
    40006: "invalid meida size",
    40007: "invalid media_id",
    40008: "invalid message type",
    40013: "invalid appid",
    40016: "invalid button size",
    40017: "invalid button type",
    40018: "invalid button name size",
    40019: "invalid button key size",
    40023: "invalid sub button size",
    40029: "invalid code",
    40054: "invalid sub button url domain",
    40125: "invalid appsecret",
    40130: "invalid openid list size",
    40163: "code been used",
    41001: "access_token missing",
    41005: "media data missing",
    42001: "access_token expired",
    44003: "empty news data",
    44004: "empty content",
    45011: "api minute-quota reach limit",
    45028: "has no masssend quota",
    45065: "clientmsgid exist",
    47001: "data format error",
    48001: "api unauthorized",
}
CHAT_KINDS = ("chat", "custom", "template", "mass")
OPENID_ALPHABET = string.ascii_letters + string.digits + "-_"


class ApiError(Exception):
    """A WeChat error answer; `extra` fields go into the JSON too (45065 carries the first call's msg_id)."""

    def __init__(self, errcode, errmsg=None, **extra):
        super().__init__(errcode)
        self.errcode, self.errmsg = errcode, errmsg or ERRORS.get(errcode, "error")
        self.extra = extra


# --- apps and credentials ---------------------------------------------------------------------------

def merchant_for_app(session, app_id):
    if not app_id:
        return None
    return session.scalars(select(Merchant).where(Merchant.wechat_app_id == app_id).order_by(Merchant.id)).first()


def check_secret(session, app_id, secret):
    merchant = merchant_for_app(session, app_id)
    if merchant is None:
        raise ApiError(40013)
    if not merchant.wechat_app_secret or not hmac.compare_digest(merchant.wechat_app_secret.encode(),
                                                                (secret or "").encode()):
        raise ApiError(40125)
    return merchant


def provision_account(session, merchant):
    """Give a merchant a sandbox official account (app id, secret, token, AES key) and WeChat Pay merchant number
    and API key, where it has none."""
    if not merchant.wechat_app_id:
        merchant.wechat_app_id = "wx" + secrets.token_hex(8)
    if not merchant.wechat_app_secret:
        merchant.wechat_app_secret = secrets.token_hex(16)
    if not merchant.wechat_token:
        merchant.wechat_token = secrets.token_hex(8)
    if not merchant.wechat_aes_key:
        merchant.wechat_aes_key = secrets.token_urlsafe(48).replace("-", "a").replace("_", "b")[:43]
    if not merchant.wechat_pay_mch_id:
        merchant.wechat_pay_mch_id = str(1900000000 + secrets.randbelow(99999999))
    if not merchant.wechat_pay_api_key:
        merchant.wechat_pay_api_key = secrets.token_hex(16)  # WeChat Pay v2 API keys are 32 characters
    session.flush()
    return merchant


# --- grants -------------------------------------------------------------------------------------------

def issue(session, kind, app_id, ttl=TOKEN_TTL, user_key=None, scope=None):
    grant = SandboxGrant(kind=kind, value=secrets.token_urlsafe(48), app_id=app_id, user_key=user_key,
                         scope=scope, expires_at=now_utc() + ttl)
    session.add(grant)
    session.flush()
    return grant


def live_grant(session, kind, value, expired_code=40001):
    """The unexpired grant with this value, else ApiError (40001 unknown, `expired_code` when expired)."""
    if not value:
        raise ApiError(41001 if kind == "access_token" else 40001)
    grant = session.scalars(select(SandboxGrant).where(SandboxGrant.kind == kind, SandboxGrant.value == value)
                            ).one_or_none()
    if grant is None:
        raise ApiError(40001)
    if grant.expires_at is not None and grant.expires_at <= now_utc():
        raise ApiError(expired_code)
    return grant


def app_of_token(session, access_token):
    return live_grant(session, "access_token", access_token, expired_code=42001).app_id


def count_issued(session, kind, app_id):
    return session.scalar(select(func.count()).select_from(SandboxGrant)
                          .where(SandboxGrant.kind == kind, SandboxGrant.app_id == app_id))


def consume_code(session, app_id, code):
    """An OAuth code works once, for its app, within 5 minutes (a conditional update, race-free)."""
    used = session.execute(update(SandboxGrant)
                           .where(SandboxGrant.kind == "oauth_code", SandboxGrant.value == (code or ""),
                                  SandboxGrant.app_id == app_id, SandboxGrant.used_at.is_(None),
                                  SandboxGrant.expires_at > now_utc())
                           .values(used_at=now_utc()).returning(SandboxGrant.id)).scalar()
    if used is None:
        grant = session.scalars(select(SandboxGrant).where(SandboxGrant.kind == "oauth_code",
                                                           SandboxGrant.value == (code or ""))).one_or_none()
        raise ApiError(40163 if grant is not None and grant.used_at is not None else 40029)
    return session.get(SandboxGrant, used)


# --- users ----------------------------------------------------------------------------------------------

def users(session, app_id, channel="wechat"):
    return session.scalars(select(SandboxUser).where(SandboxUser.channel == channel, SandboxUser.app_id == app_id)
                           .order_by(SandboxUser.id.desc())).all()


def user(session, user_id, app_id, channel="wechat"):
    try:
        user_id = int(user_id)
    except (TypeError, ValueError):
        return None
    row = session.get(SandboxUser, user_id)
    return row if row is not None and row.channel == channel and row.app_id == app_id else None


def user_by_openid(session, app_id, openid):
    return session.scalars(select(SandboxUser).where(SandboxUser.channel == "wechat", SandboxUser.app_id == app_id,
                                                     SandboxUser.user_key == openid)).one_or_none()


def create_wechat_user(session, app_id, nickname=""):
    openid = "o" + "".join(secrets.choice(OPENID_ALPHABET) for _ in range(27))
    row = SandboxUser(channel="wechat", app_id=app_id, user_key=openid, unionid="u" + secrets.token_hex(14),
                      nickname=(nickname or "").strip()[:60] or f"微信用户{openid[-4:]}")
    session.add(row)
    session.flush()
    return row


def create_alipay_user(session, app_id, nickname=""):
    user_key = "2088" + "".join(secrets.choice(string.digits) for _ in range(12))
    row = SandboxUser(channel="alipay", app_id=app_id, user_key=user_key,
                      nickname=(nickname or "").strip()[:60] or f"支付宝用户{user_key[-4:]}")
    session.add(row)
    session.flush()
    return row


def profile(row):
    return {"openid": row.user_key, "nickname": row.nickname, "sex": 0, "language": "zh_CN", "city": "",
            "province": "", "country": "中国", "headimgurl": row.avatar_url or "", "privilege": [],
            **({"unionid": row.unionid} if row.unionid else {})}


# --- what the sandbox was sent, and what the phone saw -----------------------------------------------------

def record(session, kind, app_id, recipient, payload):
    row = SandboxOutbox(kind=kind, app_id=app_id, recipient=recipient, payload=payload)
    session.add(row)
    session.flush()
    return row


def set_follow(session, app_id, openid, subscribed, scene=None):
    return record(session, "follow", app_id, openid, {"subscribed": bool(subscribed), "scene": scene,
                                                      "at": int(now_utc().timestamp())})


def follow_state(session, app_id, openid):
    row = session.scalars(select(SandboxOutbox).where(SandboxOutbox.kind == "follow", SandboxOutbox.app_id == app_id,
                                                      SandboxOutbox.recipient == openid)
                          .order_by(SandboxOutbox.id.desc()).limit(1)).first()
    return row.payload if row is not None else {"subscribed": False}


def published_menu(session, app_id):
    row = session.scalars(select(SandboxOutbox).where(SandboxOutbox.kind == "menu", SandboxOutbox.app_id == app_id)
                          .order_by(SandboxOutbox.id.desc()).limit(1)).first()
    return row.payload.get("button", []) if row is not None else []


@dataclass(frozen=True)
class ChatItem:
    """One entry of the phone's chat, whichever table holds it."""

    kind: str  # chat | custom | template | mass (a mass message, a preview, or a message to everybody)
    payload: dict
    created_at: datetime
    preview: bool = False
    articles: tuple = ()  # an mpnews message's articles as uploaded (title, digest, thumb_media_id, ...)


def chat(session, app_id, openid, limit=60):
    """The conversation the phone shows, oldest first: what the user sent, the replies, the messages pushed to them
    (customer-service, template), and the mass messages WeChat delivered to them or sent to everybody."""
    rows = session.scalars(select(SandboxOutbox).where(
        SandboxOutbox.app_id == app_id, SandboxOutbox.kind.in_(CHAT_KINDS),
        or_(SandboxOutbox.recipient == openid, (SandboxOutbox.kind == "mass") & SandboxOutbox.recipient.is_(None)))
        .order_by(SandboxOutbox.id.desc()).limit(limit)).all()
    items = [ChatItem(row.kind, row.payload, row.created_at) for row in rows] + _mass_items(session, app_id, openid,
                                                                                             limit)
    items.sort(key=lambda item: item.created_at)
    return items[-limit:]


def _mass_items(session, app_id, openid, limit):
    received = select(SandboxMassRecipient.message_id).where(
        SandboxMassRecipient.app_id == app_id, SandboxMassRecipient.openid == openid,
        SandboxMassRecipient.delivered.is_(True))
    to_everybody = SandboxMassMessage.preview.is_(False) & ~exists().where(
        SandboxMassRecipient.message_id == SandboxMassMessage.id)
    messages = session.scalars(select(SandboxMassMessage).where(
        SandboxMassMessage.app_id == app_id, or_(SandboxMassMessage.id.in_(received), to_everybody))
        .order_by(SandboxMassMessage.id.desc()).limit(limit)).all()
    news_ids = {_news_id(message.payload) for message in messages} - {None}
    news = {row.media_id: tuple(row.payload.get("articles") or ()) for row in session.scalars(
        select(SandboxMedia).where(SandboxMedia.app_id == app_id, SandboxMedia.kind == "news",
                                   SandboxMedia.media_id.in_(news_ids)))} if news_ids else {}
    return [ChatItem("mass", message.payload, message.created_at, message.preview,
                     news.get(_news_id(message.payload), ())) for message in messages]


def _news_id(payload):
    mpnews = payload.get("mpnews") if payload.get("msgtype") == "mpnews" else None
    return mpnews.get("media_id") if isinstance(mpnews, dict) else None


def outbox(session, kind, app_id=None, recipient=None):
    query = select(SandboxOutbox).where(SandboxOutbox.kind == kind)
    if app_id is not None:
        query = query.where(SandboxOutbox.app_id == app_id)
    if recipient is not None:
        query = query.where(SandboxOutbox.recipient == recipient)
    return session.scalars(query.order_by(SandboxOutbox.id)).all()
