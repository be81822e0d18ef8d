"""Pictures people upload (a member's photo for a timed card, a points-mall gift's picture): kept only when their
first bytes say JPEG or PNG, whatever the name says, under a random name in the merchant's folder. A picture
replaced by another is removed once the change commits; a new one whose transaction rolls back is removed then."""
import os
import secrets

from sqlalchemy import event
from sqlalchemy.orm import Session, scoped_session

from domain.errors import DomainError

_ON_COMMIT, _ON_ROLLBACK = "uploads_gone_on_commit", "uploads_gone_on_rollback"


def image_type(data):
    """'jpg' or 'png' from the file's first bytes, whatever its name says; None for anything else."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    return None


def store_image(upload_root, merchant_id, folder, data, *, max_bytes, noun):
    """Write the picture and return its path under `upload_root`; DomainError (in words about the `noun`, 照片 or
    图片) when it is too large or not a JPEG or PNG. Pair it with `replace` to keep files and rows in step."""
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


def replace(session, upload_root, old, new):
    """The row now names `new` instead of `old` (paths under `upload_root`, either None): `old` is removed when
    `session` commits, `new` if it rolls back instead, so the disk holds exactly the files committed rows name."""
    own = session() if isinstance(session, scoped_session) else session
    if old and old != new:
        own.info.setdefault(_ON_COMMIT, []).append(os.path.join(upload_root, old))
    if new:
        own.info.setdefault(_ON_ROLLBACK, []).append(os.path.join(upload_root, new))


def _remove(paths):
    for path in paths:
        try:
            os.remove(path)
        except FileNotFoundError:
            pass


@event.listens_for(Session, "after_commit")
def _remove_replaced(session):
    if session.in_nested_transaction():
        return  # a SAVEPOINT released: the real commit is still to come
    session.info.pop(_ON_ROLLBACK, None)
    _remove(session.info.pop(_ON_COMMIT, []))


@event.listens_for(Session, "after_rollback")
def _remove_uncommitted(session):
    if session.in_nested_transaction():
        return
    session.info.pop(_ON_COMMIT, None)
    _remove(session.info.pop(_ON_ROLLBACK, []))
