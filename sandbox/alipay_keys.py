"""Sandbox Alipay keys: like the real open platform, the sandbox holds its own RSA keypair (the "Alipay" key) and,
per app, the app's public key and seller id. Requests are verified against the app's public key; answers and
notifications are signed with the sandbox's private key, so python-alipay-sdk verifies them exactly as it would in
production. Keys are made on first use and kept in the shared_tokens table; `provision_merchant` gives a merchant
an app id, a seller id and a keypair and registers its public key here.
"""
import secrets
from base64 import b64decode, b64encode

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from channels.alipay import pem
from extensions import db
from models import SharedToken
from web import boundary

SANDBOX_KEY = "sandbox:alipay:private_key"
APP_KEY_PREFIX = "sandbox:alipay:app_public_key:"
SELLER_PREFIX = "sandbox:alipay:seller_id:"


def provision_merchant(session, merchant):
    """Give the merchant a sandbox Alipay app: app id, app keypair, and the sandbox's public key. Idempotent."""
    if not merchant.alipay_app_id:
        merchant.alipay_app_id = f"2021{secrets.randbelow(10 ** 12):012d}"
    if not merchant.alipay_private_key:
        merchant.alipay_private_key = _private_pem(_new_key())
    if not merchant.alipay_seller_id:
        merchant.alipay_seller_id = f"2088{secrets.randbelow(10 ** 12):012d}"
    app_public = _public_pem(load_private(merchant.alipay_private_key))
    put(session, APP_KEY_PREFIX + merchant.alipay_app_id, app_public)
    put(session, SELLER_PREFIX + merchant.alipay_app_id, merchant.alipay_seller_id)
    merchant.alipay_public_key = _public_pem(load_private(sandbox_private_pem(session)))
    session.flush()
    return merchant


def _new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _private_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _public_pem(key):
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load_private(pem_text):
    return serialization.load_pem_private_key(pem(pem_text, private=True).encode(), password=None)


def sandbox_private_pem(session):
    """The sandbox's own "Alipay" private key, created once (the first writer wins under the primary key)."""
    value = session.scalar(select(SharedToken.value).where(SharedToken.key == SANDBOX_KEY))
    if value:
        return value
    candidate = _private_pem(_new_key())
    try:
        with session.begin_nested():
            session.add(SharedToken(key=SANDBOX_KEY, value=candidate))
            session.flush()
    except IntegrityError:
        pass
    return session.scalar(select(SharedToken.value).where(SharedToken.key == SANDBOX_KEY))


def put(session, key, value):
    """Store `value` under `key` in shared_tokens (insert, or update the row a concurrent writer made)."""
    row = session.get(SharedToken, key)
    if row is None:
        try:
            with session.begin_nested():
                session.add(SharedToken(key=key, value=value))
                session.flush()
            return
        except IntegrityError:
            row = session.get(SharedToken, key)
    row.value = value


def app_public_key(session, app_id):
    value = session.scalar(select(SharedToken.value).where(SharedToken.key == APP_KEY_PREFIX + (app_id or "")))
    return serialization.load_pem_public_key(value.encode()) if value else None


def seller_id(app_id):
    return db.session.scalar(select(SharedToken.value).where(SharedToken.key == SELLER_PREFIX + app_id)) or ""


def signed_by(public_key, params):
    """RSA2 over the sorted, unencoded k=v pairs of every parameter except `sign`."""
    signature = params.get("sign", "")
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "sign" and v != "")
    try:
        public_key.verify(b64decode(signature), message.encode(), padding.PKCS1v15(), hashes.SHA256())
        return True
    except (InvalidSignature, ValueError):
        return False


def signed(fields):
    """fields + sign_type + sign: RSA2 over the sorted k=v pairs (sign and sign_type excluded), as Alipay signs."""
    message = "&".join(f"{k}={v}" for k, v in sorted(fields.items()))
    key = load_private(sandbox_private_pem(db.session))
    boundary.commit_now()
    signature = b64encode(key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()
    return dict(fields, sign_type="RSA2", sign=signature)
