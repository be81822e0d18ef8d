"""Every API route but the document needs `Authorization: Bearer <key>`; the key becomes the actor."""
from flask import g, request

from api import blueprint
from api.errors import ApiError
from extensions import db
from services.merchant import api_keys

PUBLIC_ENDPOINTS = {"api.openapi_document", "api.docs"}
# A till posts a few hundred bytes; anything much larger is refused before it is read.
MAX_BODY_BYTES = 16 * 1024


@blueprint.before_request
def _authenticate():
    request.max_content_length = MAX_BODY_BYTES
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise ApiError(401, "unauthorized", "缺少接口密钥，请在 Authorization 头中以 Bearer 方式提供")
    key = api_keys.authenticate(db.session, presented.strip())
    if key is None:
        raise ApiError(401, "unauthorized", "接口密钥无效或已吊销")
    g.api_key = key
    return None
