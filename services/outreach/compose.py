"""Writing a send (群发): its title, audience, channel choice and content, checked before anything is stored.

Content kinds: text; image-text (图文: title, cover image, summary, body, and a coupon to claim in it or a link);
a coupon message that opens the claim page. The SMS text, when the channel can use SMS, is checked against the
seed's rules (70 characters with the signature and 回T退订, sensitive words). A cover is re-encoded by Pillow, so
what is kept is a real, small JPEG whatever was uploaded.
"""
import io
import os
import secrets

from PIL import Image, UnidentifiedImageError

from domain.errors import Conflict, DomainError
from domain.outreach import check_sms
from models import CouponTemplate, Send
from services.audiences import filters as audience_filters, saved as saved_audiences
from services.outreach import settings as messaging_settings
from services.shared.tenancy import get_owned
from services.shared.text import optional_text, required_text

TEXT_MAX = 600  # a WeChat text message, characters
BODY_MAX = 20000  # a WeChat article body
COVER_MAX_BYTES = 5 * 1024 * 1024
COVER_SIZE = (900, 500)
COVER_MAX_PIXELS = 40_000_000
EDITABLE = ("draft",)


def save_draft(session, actor, send_id, data, cover_bytes=None, upload_root=None):
    """Create (send_id None) or edit a draft from a form's values; refuses what is malformed, naming it."""
    merchant_id = actor.merchant_id
    send = Send(merchant_id=merchant_id, status="draft", created_by_id=actor.id) if send_id is None \
        else get_owned(session, Send, merchant_id, send_id, lock=True)
    if send.status not in EDITABLE:
        raise Conflict("该群发已提交，不能再修改")
    values = _checked(session, actor, data)
    if cover_bytes:
        values["cover"] = save_cover(cover_bytes, upload_root, merchant_id)
    if values["content_kind"] == "news" and not (values.get("cover") or send.cover):
        raise DomainError("图文消息需要上传封面图片")
    for name, value in values.items():
        setattr(send, name, value)
    if send.id is None:
        session.add(send)
    session.flush()
    return send


def _checked(session, actor, data):
    get = data.get
    kind = get("content_kind") or "text"
    channel = get("channel") or "wechat"
    if kind not in ("text", "news", "coupon"):
        raise DomainError("消息类型无效")
    if channel not in ("wechat", "sms", "best"):
        raise DomainError("发送渠道无效")
    values = {"title": _clean(required_text(get("title"), "群发名称", 40), "群发名称"),
              "content_kind": kind, "channel": channel,
              "sms_fallback": channel == "best" and _flag(get("sms_fallback")),
              "quiet_skip": _flag(get("quiet_skip")),
              **_audience(session, actor.merchant_id, get("audience_id"), get("filters"))}
    values.update(_wechat_content(session, actor.merchant_id, kind, data) if channel != "sms" else _no_wechat())
    uses_sms = channel == "sms" or values["sms_fallback"]
    values["sms_body"] = _sms_body(session, actor.merchant_id, get("sms_body")) if uses_sms else ""
    if channel == "sms" and kind != "text":
        raise DomainError("短信只能发送文字")
    return values


def _audience(session, merchant_id, audience_id, raw_filters):
    if audience_id not in (None, ""):
        audience = saved_audiences.get(session, merchant_id, audience_id)
        return {"audience_id": audience.id, "filters": dict(audience.filters)}
    chosen = audience_filters.parse(raw_filters or {})
    return {"audience_id": None, "filters": chosen.to_json()}


def _wechat_content(session, merchant_id, kind, data):
    get = data.get
    values = {"text": "", "news_title": "", "news_summary": "", "news_body": "", "link_url": "",
              "coupon_template_id": None}
    if kind == "text":
        values["text"] = _clean(required_text(get("text"), "消息内容", TEXT_MAX), "消息内容", newlines=True)
        return values
    if kind == "coupon":
        values["coupon_template_id"] = _coupon(session, merchant_id, get("coupon_template_id"), required=True)
        values["text"] = _clean(optional_text(get("text"), "消息内容", 200) or "", "消息内容", newlines=True)
        return values
    values["news_title"] = _clean(required_text(get("news_title"), "图文标题", 64), "图文标题")
    values["news_summary"] = _clean(optional_text(get("news_summary"), "摘要", 120) or "", "摘要")
    values["news_body"] = _clean(required_text(get("news_body"), "正文", BODY_MAX), "正文", newlines=True)
    values["coupon_template_id"] = _coupon(session, merchant_id, get("coupon_template_id"), required=False)
    values["link_url"] = _link(get("link_url"))
    if values["coupon_template_id"] and values["link_url"]:
        raise DomainError("图文里的优惠券和链接只能二选一")
    return values


def _no_wechat():
    return {"text": "", "news_title": "", "news_summary": "", "news_body": "", "link_url": "",
            "coupon_template_id": None, "cover": None}


def _coupon(session, merchant_id, template_id, required):
    if template_id in (None, ""):
        if required:
            raise DomainError("请选择要发放的优惠券")
        return None
    template = get_owned(session, CouponTemplate, merchant_id, template_id)
    if not template.active:
        raise Conflict("该券已停止发放")
    return template.id


def _link(value):
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) > 500 or not value.startswith(("https://", "http://")) or any(ch.isspace() for ch in value):
        raise DomainError("链接需以 http:// 或 https:// 开头，且不超过 500 个字符")
    _clean(value, "链接")
    return value


def _sms_body(session, merchant_id, body):
    settings = messaging_settings.get(session, merchant_id)
    check_sms(messaging_settings.signature_of(session, merchant_id), body, settings.own_words)
    return (body or "").strip()


def _clean(text, label, newlines=False):
    allowed = "\n\r\t" if newlines else ""
    if any(ord(ch) < 32 and ch not in allowed for ch in text) or "\x7f" in text:
        raise DomainError(f"{label}不能包含控制字符")
    return text


def _flag(value):
    return str(value).lower() in ("1", "true", "on", "y", "yes")


def save_cover(data, upload_root, merchant_id):
    """Re-encode an uploaded cover as a JPEG of at most 900 x 500; the stored path, relative to `upload_root`."""
    if len(data) > COVER_MAX_BYTES:
        raise DomainError("封面图片不能超过 5 MB")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > COVER_MAX_PIXELS:
                raise DomainError("封面图片尺寸过大")
            image.load()
            picture = image.convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError):
        raise DomainError("封面必须是 JPG 或 PNG 图片") from None
    picture.thumbnail(COVER_SIZE)
    relative = f"{int(merchant_id)}/covers/{secrets.token_urlsafe(18)}.jpg"
    target = os.path.join(upload_root, relative)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    picture.save(target, "JPEG", quality=85)
    return relative


def cover_bytes(send, upload_root):
    if not send.cover:
        return None
    with open(os.path.join(upload_root, send.cover), "rb") as cover:
        return cover.read()
