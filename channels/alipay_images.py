"""alipay.offline.material.image.upload: a picture sent to Alipay, its image id back (what a member card template
names as logo_id and background_id).

The method takes its parameters outside biz_content and the picture as the multipart part `image_content`, outside
the signature; python-alipay-sdk's server_api sends only urlencoded requests, so the SDK builds and signs the request
(build_body, sign_data) and verifies the answer, and requests posts it with the file."""
import logging

import requests
from alipay.exceptions import AliPayException, AliPayValidationError

from channels.alipay import TIMEOUT_SECONDS, client_for
from domain.errors import DomainError

log = logging.getLogger(__name__)
METHOD = "alipay.offline.material.image.upload"
CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg"}


class ImageRefused(DomainError):
    code = "alipay_image_refused"


def upload_image(merchant, data, kind, name):
    """Alipay's image id for this picture (`kind` png or jpg). Raises ImageRefused in words."""
    client = client_for(merchant)
    params = client.build_body(METHOD, None, image_type=kind, image_name=name)
    params.pop("biz_content", None)
    try:
        answer = requests.post(f"{client._gateway}?{client.sign_data(params)}", timeout=TIMEOUT_SECONDS,
                               files={"image_content": (f"{name}.{kind}", data, CONTENT_TYPES[kind])})
        body = client._verify_and_return_sync_response(answer.text, METHOD.replace(".", "_") + "_response")
    except AliPayValidationError:
        raise ImageRefused("支付宝返回的数据验签失败") from None
    except (requests.RequestException, AliPayException, ValueError, KeyError) as exc:
        log.warning("alipay image upload failed for app %s: %s", merchant.alipay_app_id, exc)
        raise ImageRefused("无法连接支付宝服务器") from None
    if str(body.get("code")) != "10000" or not body.get("image_id"):
        raise ImageRefused(f"{body.get('sub_msg') or body.get('msg') or '图片上传失败'}（{body.get('sub_code', '')}）")
    return body["image_id"]
