"""Sandbox WeChat media: images and articles (图文) for mass messages, as wechatpy's `client.media` uploads them.

- `cgi-bin/media/uploadimg` (`upload_image`): an image inside an article's body; answers {"url"}.
- `cgi-bin/media/upload?type=image|thumb` (`upload`): answers {"type", "media_id", "created_at"}.
- `cgi-bin/media/uploadnews` (`upload_articles`): articles naming this app's thumb; answers a news media_id,
  which an mpnews mass message names.
The bytes must be a JPEG or PNG (read from their header, whatever the file is called; 40005), image at most 2 MB
and thumb at most 1 MB (40006). `/sandbox/wechat/media/<media_id>` serves an image, and
`/sandbox/wechat/article/<media_id>/<index>` shows an article as WeChat's article page does.
"""
import secrets
import struct

from flask import Response, abort, current_app, render_template, request
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from domain.clock import now_utc
from extensions import db
from models import SandboxMedia
from sandbox import article_html, blueprint, wechat_state as sbx
from sandbox.wechat_api import API, api, json_body, token_app
from sandbox.wechat_state import ApiError

MAX_BYTES = {"image": 2 * 1024 * 1024, "thumb": 1024 * 1024}
UPLOAD_LIMIT = 3 * 1024 * 1024  # the request, so that a too large image is WeChat's 40006 rather than HTTP 413
MAX_ARTICLES = 8
CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg"}
JPEG_FRAMES = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def image_type(data):
    """'png' or 'jpg' when the bytes start like one with a non-empty picture, else None."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24 and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        return "png" if width and height else None
    if data[:3] != b"\xff\xd8\xff":
        return None
    at = 2
    while at + 4 <= len(data):  # walk the JPEG's segments up to its frame header
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:
            at += 1
            continue
        if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:
            at += 2
            continue
        if marker in JPEG_FRAMES:
            if at + 9 > len(data):
                return None
            height, width = struct.unpack(">HH", data[at + 5:at + 9])
            return "jpg" if width and height else None
        if marker in (0xD9, 0xDA):
            return None
        at += 2 + struct.unpack(">H", data[at + 2:at + 4])[0]
    return None


def _stored_image(app_id, kind):
    request.max_content_length = UPLOAD_LIMIT
    try:
        upload = request.files.get("media")
    except RequestEntityTooLarge:
        raise ApiError(40006) from None
    if upload is None:
        raise ApiError(41005)
    data = upload.read(MAX_BYTES[kind] + 1)
    if not data:
        raise ApiError(41005)
    found = image_type(data)
    if found is None:
        raise ApiError(40005)
    if len(data) > MAX_BYTES[kind]:
        raise ApiError(40006)
    row = SandboxMedia(app_id=app_id, kind=kind, media_id=secrets.token_urlsafe(48), content_type=CONTENT_TYPES[found],
                       data=data, payload={"filename": (upload.filename or "")[:100]})
    db.session.add(row)
    db.session.flush()
    return row


def _media_url(media_id):
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/sandbox/wechat/media/{media_id}"


@blueprint.route(API + "cgi-bin/media/uploadimg", methods=["POST"])
@api
def wechat_media_uploadimg():
    row = _stored_image(token_app(), "image")
    return {"url": _media_url(row.media_id)}


@blueprint.route(API + "cgi-bin/media/upload", methods=["POST"])
@api
def wechat_media_upload():
    app_id = token_app()
    kind = request.args.get("type", "")
    if kind not in MAX_BYTES:
        raise ApiError(40004)
    row = _stored_image(app_id, kind)
    return {"type": kind, "media_id": row.media_id, "created_at": int(row.created_at.timestamp())}


@blueprint.route(API + "cgi-bin/media/uploadnews", methods=["POST"])
@api
def wechat_media_uploadnews():
    app_id = token_app()
    articles = json_body().get("articles")
    if not isinstance(articles, list) or not articles:
        raise ApiError(44003)
    if len(articles) > MAX_ARTICLES:
        raise ApiError(47001)
    kept = [_article(app_id, article) for article in articles]
    row = SandboxMedia(app_id=app_id, kind="news", media_id=secrets.token_urlsafe(48), payload={"articles": kept},
                       created_at=now_utc())
    db.session.add(row)
    db.session.flush()
    return {"type": "news", "media_id": row.media_id, "created_at": int(row.created_at.timestamp())}


def _article(app_id, article):
    if not isinstance(article, dict):
        raise ApiError(47001)
    fields = {key: article.get(key) for key in ("thumb_media_id", "title", "content", "author", "digest",
                                                "content_source_url")}
    if not all(value is None or isinstance(value, str) for value in fields.values()):
        raise ApiError(47001)
    if not (fields["title"] or "").strip():
        raise ApiError(47001, "title is empty")
    if not (fields["content"] or "").strip():
        raise ApiError(44004)
    thumb = fields["thumb_media_id"]
    if not thumb or db.session.scalar(select(SandboxMedia.id).where(
            SandboxMedia.app_id == app_id, SandboxMedia.media_id == thumb,
            SandboxMedia.kind.in_(("thumb", "image")))) is None:
        raise ApiError(40007)
    return {**{key: value or "" for key, value in fields.items()},
            "show_cover_pic": 1 if str(article.get("show_cover_pic", 0)) == "1" else 0}


# --- what a follower sees ---------------------------------------------------------------------------------------

def _media(media_id, kinds):
    return db.session.scalars(select(SandboxMedia).where(SandboxMedia.media_id == media_id,
                                                         SandboxMedia.kind.in_(kinds))).one_or_none()


@blueprint.route("/wechat/media/<media_id>")
def wechat_media_file(media_id):
    row = _media(media_id, ("image", "thumb"))
    if row is None:
        abort(404)
    return Response(row.data, mimetype=row.content_type or "application/octet-stream",
                    headers={"Cache-Control": "public, max-age=86400"})


@blueprint.route("/wechat/article/<media_id>/<int:index>")
def wechat_article(media_id, index):
    row = _media(media_id, ("news",))
    articles = row.payload.get("articles") or [] if row is not None else []
    if not 0 <= index < len(articles):
        abort(404)
    article = articles[index]
    merchant = sbx.merchant_for_app(db.session, row.app_id)
    return render_template("sandbox/wechat_article.html", article=article, body=article_html.clean(article["content"]),
                           account=merchant.name if merchant is not None else row.app_id, published=row.created_at)
