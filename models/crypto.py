"""Encrypted column type for merchant channel credentials (Fernet, rotatable keys)."""
import base64
import hashlib

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

_cipher = None
_newest = None  # the first configured key alone: what a rotation writes with


def derive_key(secret):
    """A Fernet key derived from a secret, for development when no key is configured."""
    return base64.urlsafe_b64encode(hashlib.sha256(("credentials:" + secret).encode()).digest())


def configure_cipher(keys):
    """Install the keys (newest first). Called once by create_app()."""
    global _cipher, _newest
    _cipher = MultiFernet([Fernet(k) for k in keys])
    _newest = Fernet(keys[0])


def _require_cipher():
    if _cipher is None:
        raise RuntimeError("credential cipher not configured; call create_app() first")
    return _cipher


class CredentialDecryptError(Exception):
    pass


class EncryptedString(sa.types.TypeDecorator):
    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None or value == "":
            return value
        return _require_cipher().encrypt(value.encode()).decode()

    def process_result_value(self, value, dialect):
        if value is None or value == "":
            return value
        try:
            return _require_cipher().decrypt(value.encode()).decode()
        except InvalidToken as exc:
            raise CredentialDecryptError("credential cannot be decrypted with the configured keys") from exc


def under_newest_key(stored):
    """Whether a stored token is already encrypted with the newest key (a rotation leaves it alone)."""
    _require_cipher()
    try:
        _newest.decrypt(stored.encode())
    except InvalidToken:
        return False
    return True


def rotated(stored):
    """The stored token re-encrypted with the newest key (any configured key may have written it)."""
    try:
        return _require_cipher().rotate(stored.encode()).decode()
    except InvalidToken as exc:
        raise CredentialDecryptError("credential cannot be decrypted with the configured keys") from exc
