"""alipay.offline.material.image.upload in the sandbox: the pictures a member card template names (logo_id,
background_id). Like Alipay, the method takes its parameters outside biz_content and the picture as the multipart
part `image_content`, which the signature does not cover; the answer is the image's id and a URL that shows it."""
import secrets

from flask import Response, abort, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from extensions import db
from models import SandboxMedia
from sandbox import blueprint
from sandbox.alipay_trades import business_error, error
from sandbox.wechat_media import CONTENT_TYPES, image_type

METHOD = "alipay.offline.material.image.upload"
KIND = "alipay"  # sandbox_media.kind: an Alipay picture
MAX_BYTES = 5 * 1024 * 1024
IMAGE_TYPES = {"jpg": "jpg", "jpeg": "jpg", "png": "png"}


def image_upload(params):
    declared = IMAGE_TYPES.get(str(params.get("image_type", "")).lower())
    name = str(params.get("image_name", ""))
    if declared is None:
        return error("40002", "isv.invalid-parameter", "image_type 只支持 jpg、jpeg、png")
    if not name or len(name) > 128:
        return error("40001", "isv.missing-image-name", "缺少图片名称")
    request.max_content_length = MAX_BYTES + 64 * 1024
    try:
        upload = request.files.get("image_content")
        data = upload.read(MAX_BYTES + 1) if upload is not None else b""
    except RequestEntityTooLarge:
        return business_error("IMAGE_SIZE_EXCEED", "图片大小超过限制")
    if not data:
        return error("40001", "isv.missing-image-content", "缺少图片内容")
    if len(data) > MAX_BYTES:
        return business_error("IMAGE_SIZE_EXCEED", "图片大小超过限制")
    if image_type(data) != declared:
        return business_error("IMAGE_FORMAT_ERROR", "图片格式与 image_type 不符")
    row = SandboxMedia(app_id=params["app_id"], kind=KIND, media_id=secrets.token_urlsafe(24),
                       content_type=CONTENT_TYPES[declared], data=data, payload={"name": name})
    db.session.add(row)
    db.session.flush()
    return {"code": "10000", "msg": "Success", "image_id": row.media_id, "image_url": image_url(row.media_id)}


def image_url(image_id):
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/sandbox/alipay/images/{image_id}"


@blueprint.route("/alipay/images/<image_id>")
def alipay_image(image_id):
    row = db.session.query(SandboxMedia).filter_by(media_id=image_id, kind=KIND).one_or_none()
    if row is None:
        abort(404)
    return Response(row.data, mimetype=row.content_type, headers={"Cache-Control": "public, max-age=86400"})
