"""Pictures people upload (a member's photo for a timed card, a points-mall gift's picture): kept only when their
first bytes say JPEG or PNG, whatever the name says, under a random name in the merchant's folder."""
import os
import secrets

from domain.errors import DomainError


def image_type(data):
    """'jpg' or 'png' from the file's first bytes, whatever its name says; None for anything else."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    return None


def store_image(upload_root, merchant_id, folder, data, *, max_bytes, noun):
    """Write the picture and return its path under `upload_root`; DomainError (in words about the `noun`, 照片 or
    图片) when it is too large or not a JPEG or PNG."""
    if len(data) > max_bytes:
        raise DomainError(f"{noun}不能超过 {max_bytes // (1024 * 1024)} MB")
    extension = image_type(data)
    if extension is None:
        raise DomainError(f"请上传 JPG 或 PNG 格式的{noun}")
    relative = f"{int(merchant_id)}/{folder}/{secrets.token_urlsafe(18)}.{extension}"
    target = os.path.join(upload_root, relative)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "wb") as out:
        out.write(data)
    return relative
