"""The member's photo on a timed card whose template asks for one (checked by staff at the till): storing the
upload (JPEG or PNG by magic bytes, at most 5 MB; the replaced file goes once committed), and the signed,
expiring link through which staff see it."""
import os

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from domain.cards import ACTIVE, PENDING, TIMED
from domain.errors import Conflict, DomainError, NotFound
from models import Card, Merchant
from services.cards import count_timed_holdings
from services.shared import host, uploads
from services.shared.tenancy import get_owned

PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_URL_SECONDS = 600
_PHOTO_SALT = "card-photo-v1"


def photo_dir(app):
    return app.config.get("UPLOAD_DIR") or os.path.join(app.instance_path, "uploads")


def save_photo(session, merchant_id, member_id, card_id, data, upload_root):
    """Store the member's photo for a timed card's check at the till; JPEG or PNG by magic bytes, at most 5 MB."""
    card = count_timed_holdings.member_card(session, merchant_id, member_id, card_id, lock=True)
    if card.kind != TIMED or not card.template.photo_required:
        raise DomainError("该卡无需上传照片")
    if card.state not in (ACTIVE, PENDING):
        raise Conflict("该卡已不可使用，无需上传照片")
    if not data:
        raise DomainError("请选择照片")
    stored = uploads.store_image(upload_root, merchant_id, "cards", data, max_bytes=PHOTO_MAX_BYTES, noun="照片")
    uploads.replace(session, upload_root, card.photo_path, stored)
    card.photo_path = stored
    session.flush()
    return card


def _photo_serializer():
    return URLSafeTimedSerializer(host.secret_key(), salt=_PHOTO_SALT)


def photo_token(card):
    return _photo_serializer().dumps([card.merchant_id, card.id, card.photo_path])


def photo_file(session, merchant_id, token, upload_root, max_age=None):
    """The file a photo token names, if signed by us, not expired, of this merchant and still the card's photo."""
    try:
        token_merchant_id, card_id, path = _photo_serializer().loads(
            token or "", max_age=PHOTO_URL_SECONDS if max_age is None else max_age)
    except SignatureExpired:
        raise NotFound("照片链接已过期") from None
    except (BadSignature, TypeError, ValueError):
        raise NotFound("照片不存在") from None
    if token_merchant_id != merchant_id:
        raise NotFound("照片不存在")
    card = get_owned(session, Card, merchant_id, card_id)
    if not path or card.photo_path != path:
        raise NotFound("照片不存在")
    full = os.path.join(upload_root, path)
    if not os.path.isfile(full):
        raise NotFound("照片不存在")
    return full


def photo_url(session, card):
    """A signed link, valid PHOTO_URL_SECONDS, through which staff see the member's photo; None without one."""
    if not card.photo_path:
        return None
    slug = session.get(Merchant, card.merchant_id).slug
    return host.path("member_h5.card_photo", merchant_slug=slug, token=photo_token(card))
